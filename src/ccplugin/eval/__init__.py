"""`ccplugin eval`: score the review engine on a corpus of known bugs and clean changes."""
