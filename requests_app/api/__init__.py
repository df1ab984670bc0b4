"""The JSON API: Django REST framework views over the app's permissions, forms, selectors and services."""
