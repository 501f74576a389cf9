"""Querysets that refuse to be read until someone says which service they are for.

``Referral.objects`` and ``Patient.objects`` hand out querysets marked unscoped. Reading one
(iterating, counting, ``exists()``, ``get()``, ``update()``, ``delete()``…) raises
:class:`UnscopedQueryError` unless ``.for_service(service)`` narrowed it to one service, or the
caller said, with ``.unscoped()``, that it is system code that means to see every service (the
demo, backups, the history behind ``clearway stats``, retention's dates). A page that forgot to
scope its query fails loudly instead of showing another service's children.

Django's own machinery (related lookups such as ``referral.patient`` and ``patient.referrals``,
the admin, form validation) uses each model's plain ``all_objects`` manager, named as the
default manager.
"""

from typing import Any, Self

from django.db import models


class UnscopedQueryError(RuntimeError):
    """A query for children or referrals that names no service."""


class ServiceScopedQuerySet(models.QuerySet[Any]):
    #: True once the queryset is narrowed to a service, or declared system-wide. Querysets of a
    #: plain manager are scoped by whoever built them (a related lookup, the admin).
    _service_scoped = True

    # Django copies a queryset at every step (filter, order_by…) through _clone; the flag goes
    # with the copy. (The type stubs leave these private methods out.)
    def _clone(self) -> Self:
        clone: Self = super()._clone()  # type: ignore[misc]
        clone._service_scoped = self._service_scoped
        return clone

    def _scoped_clone(self) -> Self:
        clone: Self = self._chain()  # type: ignore[attr-defined]
        clone._service_scoped = True
        return clone

    def unscoped(self) -> Self:
        """Every service's rows: for system code only, never for a page."""
        return self._scoped_clone()

    def _check_scoped(self) -> None:
        if not self._service_scoped:
            raise UnscopedQueryError(
                f"A query for {self.model._meta.verbose_name_plural} must name its service: "
                "use .for_service(request.service), or .unscoped() in system code."
            )

    def _fetch_all(self) -> None:
        if self._result_cache is None:
            self._check_scoped()
        super()._fetch_all()

    def iterator(self, chunk_size: int | None = None) -> Any:
        self._check_scoped()
        return super().iterator(chunk_size)

    def count(self) -> int:
        self._check_scoped()
        return super().count()

    def exists(self) -> bool:
        self._check_scoped()
        return super().exists()

    def aggregate(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        self._check_scoped()
        return super().aggregate(*args, **kwargs)

    def update(self, **kwargs: Any) -> int:
        self._check_scoped()
        return super().update(**kwargs)

    def delete(self) -> tuple[int, dict[str, int]]:
        self._check_scoped()
        return super().delete()


class ServiceScopedManager(models.Manager[Any]):
    """Hands out querysets that refuse to be read until scoped (see the module's docstring)."""

    def get_queryset(self) -> Any:
        queryset = super().get_queryset()
        queryset._service_scoped = False  # type: ignore[attr-defined]
        return queryset
