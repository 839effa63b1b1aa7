"""Password hashing at a low cost, so that the suite runs in seconds.

web.py hashes with scrypt at N=2^17 (about 0.3 s each); here N=2^12, except where a test sets
``app.objects.user.SCRYPT_N`` itself (test_models checks the real cost). The command-line tests
run web.py in a subprocess, at the real cost.
"""

import pytest

from app.objects import user


@pytest.fixture(autouse=True)
def fast_password_hashing(monkeypatch):
    monkeypatch.setattr(user, "SCRYPT_N", 2**12)
