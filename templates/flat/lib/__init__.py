"""Code that is not a request handler: helpers the handlers (and anything else) can share.

Keep this free of ``tornado.web`` so it stays easy to unit-test.
"""
