"""Abstract models every app may build on (no tables of their own)."""

from django.core.exceptions import FieldError, ValidationError
from django.db import models, router
from django.db.models import Q


class TimestampedModel(models.Model):
    """`created_at` and `updated_at`, set by Django on save."""

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class ChecksInOneQuery(models.Model):
    """`full_clean` asks the database about all the check constraints at once.

    Django validates each `CheckConstraint` with a query of its own, inside a
    savepoint: three statements per constraint, on every `full_clean`. Their
    conjunction holds exactly when each of them holds (a condition that is
    NULL passes, as in Django's own check), so one query answers for all of
    them; only when it fails are they asked one by one, for Django's error
    messages."""

    class Meta:
        abstract = True

    def validate_constraints(self, exclude=None):
        using = router.db_for_write(self.__class__, instance=self)
        passed = {id(check) for check in self._checks_passing(exclude, using)}
        errors = {}
        for model_class, constraints in self.get_constraints():
            for constraint in constraints:
                if id(constraint) in passed:
                    continue
                try:
                    constraint.validate(model_class, self, exclude=exclude, using=using)
                except ValidationError as error:
                    if getattr(error, "code", None) == "unique" and len(constraint.fields) == 1:
                        errors.setdefault(constraint.fields[0], []).append(error)
                    else:
                        errors = error.update_error_dict(errors)
        if errors:
            raise ValidationError(errors)

    def _checks_passing(self, exclude, using) -> list:
        """This model's check constraints if they all hold, else none."""
        checks = [c for c in self._meta.constraints if isinstance(c, models.CheckConstraint)]
        if len(checks) < 2:
            return []
        against = self._get_field_expression_map(meta=self._meta, exclude=exclude)
        try:
            holds = Q(*(check.condition for check in checks)).check(against, using=using)
        except FieldError:  # a check on an excluded field: Django skips that one
            return []
        return checks if holds else []
