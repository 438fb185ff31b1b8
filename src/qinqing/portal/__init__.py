"""The public side: people outside the administration follow their own matters.

`/track/`: a form for the case number and query code (any channel's case, hotline callers
included); a right pair opens the case's public page for this browser session.
"""
