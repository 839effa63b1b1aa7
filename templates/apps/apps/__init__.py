"""One package per feature, Django style: apps/<name>/views.py and a relative apps/<name>/urls.py.

To add an app: create apps/<name>/__init__.py, views.py and urls.py (a ``urls`` list with
patterns relative to the app's root, like the first app's), then mount it in the root urls.py:
``*include(r"/<name>/", "apps.<name>.urls")``.
"""
