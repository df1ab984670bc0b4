"""The feedback loop, a Django app of its own (label ``feedback``): satisfaction ratings and their
follow-ups, thanks between colleagues, quality assessments between departments, the daily summary
tables and the dashboards built on them (department dashboard, company view, monthly review).

It builds on the core (``requests_app``) and the core never imports it: what the core tells it and
lets it add to its pages goes through ``requests_app.extensions``, which this app's ``apps.py``
registers with. Taking ``requests_app.feedback`` out of ``INSTALLED_APPS`` leaves a working desk.
"""
