# Local overrides; imported at the end of settings.py when present.
from .settings import *  # noqa: F401,F403

DEBUG = True
DATABASES["default"]["PASSWORD"] = "s3cr3tAtl@15"
OPENAI_API_KEY = "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"
STRIPE_API_KEY = "sk_test_4eC39HqLyjWDarjtT1zdp7dc"  # Stripe's published docs key
