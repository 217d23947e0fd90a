"""What the routes share, built once by the app's lifespan."""

from __future__ import annotations

from dataclasses import dataclass

from gateway.api.auth import Identity, KeyRing
from gateway.api.meter import Meter
from gateway.approvals.base import ApprovalStore
from gateway.config import Settings
from gateway.firewall.decide import Firewall
from gateway.reload import PolicyReloader
from gateway.state.base import StateStore
from gateway.upstream import Upstreams
from gateway.upstream.cost import Pricing


@dataclass(slots=True)
class Services:
    settings: Settings
    keys: KeyRing
    upstreams: Upstreams
    firewall: Firewall
    store: StateStore
    pricing: Pricing
    approvals: ApprovalStore
    reloader: PolicyReloader | None = None  # owns the policy engine; None in unit tests

    def meter(self, identity: Identity, model: str) -> Meter:
        fail_open = self.settings.state.on_error == "allow"
        return Meter(self.store, self.pricing, identity, model, fail_open)
