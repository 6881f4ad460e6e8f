"""`steward serve`: survey pages, one-click unsubscribe, alert/task buttons, CSM and account pages.

The service reads only the published analyst copy and appends what people did to the action log
in the landing folder (flows/serve/actionlog.py); the next run applies it (flows/serve/apply.py).
"""
