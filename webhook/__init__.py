"""The admission webhook: `dnsgate webhook` (Flask app under gunicorn over TLS)."""
