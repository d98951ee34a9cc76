"""The GitHub provider: GitHub Actions and pull requests.

``provider`` is the provider module (:mod:`ccplugin.ci.provider`); ``event`` reads the workflow
event; ``workflow`` speaks the runner's file and workflow-command protocol (annotations, step
summary, outputs); ``summary`` renders the step summary; ``rest``, ``pr`` and ``post`` post the
pull-request review and the sticky comment.
"""
