import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent

SECRET_KEY = "1l1@ab@40o4_%9k#oai^y&42@&h97x5+d+fmg#282h5ug%p_32"

DEBUG = False
ALLOWED_HOSTS = ["app.acme.io"]

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": "acme",
        "USER": "acme",
        "PASSWORD": os.environ.get("POSTGRES_PASSWORD", ""),
        "HOST": "db",
        "PORT": "5432",
    },
    "legacy": {
        "ENGINE": "django.db.backends.mysql",
        "NAME": "legacy",
        "USER": "legacy_ro",
        "PASSWORD": "s3cr3tBlu@66",
        "HOST": "legacy-mysql.acme.internal",
    },
}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.Argon2PasswordHasher"]

EMAIL_HOST = "smtp.mailgun.org"
EMAIL_HOST_USER = "postmaster@mg.acme.io"
EMAIL_HOST_PASSWORD = "l9fDw@FlwcDTAA@F"

CELERY_BROKER_URL = "amqp://acme:fqmBZ22tOsvdddFx_@rabbitmq:5672//"
CACHES = {"default": {"BACKEND": "django_redis.cache.RedisCache", "LOCATION": "redis://:v2ht0aeW7VYkXm53jkzvw@redis:6379/1"}}

AWS_STORAGE_BUCKET_NAME = "acme-static"
AWS_ACCESS_KEY_ID = os.getenv("AWS_ACCESS_KEY_ID")
AWS_SECRET_ACCESS_KEY = os.getenv("AWS_SECRET_ACCESS_KEY")

SOCIAL_AUTH_GOOGLE_OAUTH2_KEY = "444524104686-vdyslstwnxrkvxhwvet08etwog1fb3h4.apps.googleusercontent.com"
SOCIAL_AUTH_GOOGLE_OAUTH2_SECRET = "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"
