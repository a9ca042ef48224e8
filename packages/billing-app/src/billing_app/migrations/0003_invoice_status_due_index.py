"""Index open invoices by due date (admin overdue filter, dunning runs).

On PostgreSQL a plain CREATE INDEX blocks writes to billing_app_invoice while it builds;
the ``migration`` changelog entry of 1.2.0 tells operators of large tables how to build
it CONCURRENTLY beforehand and fake this migration.
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("billing_app", "0002_invoice_due_date")]

    operations = [
        migrations.AddIndex(
            model_name="invoice",
            index=models.Index(fields=["status", "due_date"], name="billing_inv_status_due_idx"),
        ),
    ]
