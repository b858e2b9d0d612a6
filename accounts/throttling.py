"""The API's throttles, counted atomically where every worker counts (accounts/counting.py).

DRF's own throttles keep a list of request times in the cache and write it back after
reading it: concurrent requests each read the list before the others wrote theirs, and 20
of 30 concurrent token requests passed a limit of 10 a minute. Here each request adds itself
and reads the count in one step; the window starts at a client's first request."""

from __future__ import annotations

from rest_framework.request import Request
from rest_framework.throttling import ScopedRateThrottle

from .counting import attempt_count_add


class SharedScopedRateThrottle(ScopedRateThrottle):
    """DRF's ScopedRateThrottle (the view's `throttle_scope`, a rate from
    DEFAULT_THROTTLE_RATES, per user or per address), counted atomically."""

    def allow_request(self, request: Request, view) -> bool:
        self.scope = getattr(view, self.scope_attr, None)
        if not self.scope:
            return True
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)
        if self.rate is None:
            return True
        key = self.get_cache_key(request, view)
        if key is None:
            return True
        return attempt_count_add(key, seconds=self.duration) <= self.num_requests

    def wait(self) -> None:
        return None  # the count keeps no request times to work a wait out from
