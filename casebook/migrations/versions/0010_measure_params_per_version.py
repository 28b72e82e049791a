"""a practice's SD and reliability of a measure are kept per version of the measure

Before, one setting per measure applied to all of its versions, a later version's included,
whose items (and so SD) may differ. Each setting now names its versions: here, every
version the measure has now, so that no score is compared differently after the upgrade.

Revision ID: 0010
Revises: 0009
"""

import json
from collections import defaultdict

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

SELECT = sa.text("SELECT value FROM practice_settings WHERE key = 'measure_params'")
UPDATE = sa.text("UPDATE practice_settings SET value = :value WHERE key = 'measure_params'")


def upgrade() -> None:
    conn = op.get_bind()
    stored = conn.execute(SELECT).scalar()
    if stored is None:
        return
    versions = defaultdict(list)
    for key, version in conn.execute(sa.text("SELECT key, version FROM measures")):
        versions[key].append(version)
    per_version = {
        key: {str(v): params for v in sorted(versions[key])}
        for key, params in json.loads(stored).items()
        if versions[key]
    }
    conn.execute(UPDATE, {"value": json.dumps(per_version)})


def downgrade() -> None:
    conn = op.get_bind()
    stored = conn.execute(SELECT).scalar()
    if stored is None:
        return
    latest = {
        key: by_version[max(by_version, key=int)]
        for key, by_version in json.loads(stored).items()
        if by_version
    }
    conn.execute(UPDATE, {"value": json.dumps(latest)})
