"""The blog's code: request handlers in app.handlers, the model layer in app.objects."""
