"""Store each calendar's working week and holidays in one JSON column (``BusinessCalendar.compiled``),
and compile the calendars that exist already."""

from django.db import migrations, models


def compile_existing(apps, schema_editor):
    BusinessCalendar = apps.get_model("departments", "BusinessCalendar")
    for calendar in BusinessCalendar.objects.prefetch_related("intervals", "holidays"):
        weekly = {str(day): [] for day in range(7)}
        for interval in calendar.intervals.all():
            start = interval.start.hour * 60 + interval.start.minute
            end = (interval.end.hour * 60 + interval.end.minute) or 24 * 60
            weekly[str(interval.weekday)].append([start, end])
        holidays = sorted(h.date.isoformat() for h in calendar.holidays.all())
        BusinessCalendar.objects.filter(pk=calendar.pk).update(compiled={"weekly": weekly, "holidays": holidays})


class Migration(migrations.Migration):
    dependencies = [
        ("departments", "0004_triage_assignment_profiles_canned"),
    ]

    operations = [
        migrations.AddField(
            model_name="businesscalendar",
            name="compiled",
            field=models.JSONField(blank=True, editable=False, null=True),
        ),
        migrations.RunPython(compile_existing, migrations.RunPython.noop),
    ]
