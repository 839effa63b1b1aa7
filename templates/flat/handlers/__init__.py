"""Request handlers. Each one subclasses ``handlers.base.BaseHandler``; routes live in urls.py."""
