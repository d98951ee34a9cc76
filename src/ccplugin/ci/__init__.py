"""The GitHub Action's Python side: `ccplugin ci github` and `ccplugin ci merge`.

``event`` reads the workflow event, ``fetch`` completes a shallow clone, ``workflow`` speaks
the runner's file and workflow-command protocol (annotations, step summary, outputs),
``summary`` renders the step summary, ``rest`` and ``pr`` post the pull-request review and the
sticky comment, ``github`` runs it all in order, ``merge`` combines the results of shards.
"""
