"""The CRM sync service (``leadops.services.crm_sync``) against an in-memory ledger and a
recording destination; the API-usage pacing; the account.routed rule; the field mappings."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from leadops.account import AccountRecord
from leadops.api_usage import ApiUsage, Pace, parse_usage
from leadops.assignment import Rep, RepRole
from leadops.crm_mapping import HubSpotMapping, SalesforceMapping
from leadops.destinations import AccountFacts, LeadFacts, reasons_summary
from leadops.errors import VendorError
from leadops.lead_record import Deal, LeadRecord, StoredLead
from leadops.services.account_routing import AccountRouting, routed_events
from leadops.services.crm_sync import CrmSync
from leadops.services.sweep import SweepTask, run_segment
from tests.unit.fakes import MemoryAccounts, MemoryPools, rep
from tests.unit.test_sweep_service import PLS1, account

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
REP = Rep(rep_id="tae-1", name="Grace", email="grace@seller.io", role=RepRole.TAE,
          team="new_business", territory="EMEA", weight=1,
          salesforce_user_id="005000000000001AAA", hubspot_owner_id="42")  # fmt: skip


def stored(lead_id: str, deal: str | None = None, classification: str = "sales") -> StoredLead:
    answer = {"lead_id": lead_id, "classification": classification, "lead_score": 40,
              "icp_score": 20, "icp_tier": "high", "reasons": ["a", "b"],
              "rulebook_version": "v1", "owner": {"id": "tae-1"}}  # fmt: skip
    record = LeadRecord(
        answer=answer, submission_id=lead_id, email=f"{lead_id}@acme.io", account="acme.io",
        territory="EMEA", outcome="instant_scheduler", scores={}, normalised={}, received_at=NOW,
        submission={"first_name": "Ada", "company": {"name": "Acme", "domain": "acme.io"}},
    )  # fmt: skip
    return StoredLead(lead_id, "acme.io", "tae-1", None, None, record,
                      deal=Deal(deal, None, None) if deal else None)  # fmt: skip


class Ledger:
    def __init__(self, *leads: StoredLead) -> None:
        self.stored = {lead.lead_id: lead for lead in leads}
        self.sent: dict[tuple[str, str], str] = {}

    def leads(self, lead_ids: list[str]) -> dict[str, StoredLead]:
        return {i: self.stored[i] for i in lead_ids if i in self.stored}

    def reps(self, rep_ids: list[str]) -> dict[str, Rep]:
        return {REP.rep_id: REP} if REP.rep_id in rep_ids else {}

    def last_sent(self, destination: str, keys: list[str]) -> dict[str, str]:
        return {k: self.sent[(destination, k)] for k in keys if (destination, k) in self.sent}

    def remember_sent(self, destination: str, sent: dict[str, str], at: datetime) -> None:
        self.sent |= {(destination, key): value for key, value in sent.items()}


class Destination:
    """Records every call; answers as ``script`` says (True: all written)."""

    name = "crm"

    def __init__(self, size: int = 2, allowed: int | None = None) -> None:
        self.size, self.allowed = size, allowed
        self.calls: list[tuple[str, list[dict[str, Any]]]] = []
        self.refuse: set[str] = set()
        self.down = False

    def batch_size(self, kind: str) -> int:
        return self.size

    def lead_record(self, facts: LeadFacts) -> dict[str, Any] | None:
        return {"id": facts.lead_id, "outcome": facts.outcome}

    def account_record(self, facts: AccountFacts) -> dict[str, Any] | None:
        return {"id": facts.domain, "team": facts.team} if facts.domain else None

    def calls_allowed(self) -> int | None:
        return self.allowed

    def send(self, kind: str, records: list[dict[str, Any]], deadline: float | None) -> list[bool]:
        self.calls.append((kind, records))
        if self.down:
            raise VendorError("down", 503, True)
        return [r["id"] not in self.refuse for r in records]


def message(message_id: str, detail_type: str, **detail: Any) -> dict[str, Any]:
    body = {"detail-type": detail_type, "source": "leadops", "detail": detail}
    return {"messageId": message_id, "body": json.dumps(body)}


class Context:
    def __init__(self, ms: int) -> None:
        self.ms = ms

    def get_remaining_time_in_millis(self) -> int:
        return self.ms


def leads(count: int) -> list[dict[str, Any]]:
    return [message(f"m{i}", "lead.qualified", lead_id=f"l{i}") for i in range(count)]


def test_batches_are_filled_to_the_destination_size() -> None:
    ledger, crm = Ledger(*(stored(f"l{i}") for i in range(5))), Destination(size=2)
    assert CrmSync(ledger, lambda: crm).sync(leads(5)) == []
    assert [len(records) for _, records in crm.calls] == [2, 2, 1]


def test_a_replay_and_a_duplicate_in_the_batch_send_nothing_more() -> None:
    ledger, crm = Ledger(stored("l0")), Destination()
    batch = [*leads(1), {**leads(1)[0], "messageId": "again"}]
    assert CrmSync(ledger, lambda: crm).sync(batch) == []
    assert CrmSync(ledger, lambda: crm).sync(batch) == []
    assert [len(records) for _, records in crm.calls] == [1]


def test_a_changed_outcome_is_sent_again() -> None:
    ledger, crm = Ledger(stored("l0")), Destination()
    CrmSync(ledger, lambda: crm).sync(leads(1))
    ledger.stored["l0"] = stored("l0", deal="won")
    CrmSync(ledger, lambda: crm).sync([message("m9", "lead.outcome", lead_id="l0")])
    assert [records[0]["outcome"] for _, records in crm.calls] == ["instant_scheduler", "won"]


def test_refused_records_and_unreadable_messages_fail_alone() -> None:
    ledger, crm = Ledger(stored("l0"), stored("l1")), Destination()
    crm.refuse = {"l1"}
    batch = [*leads(2), {"messageId": "junk", "body": "not json"},
             message("other", "lead.created", person_id="p")]  # fmt: skip
    assert sorted(CrmSync(ledger, lambda: crm).sync(batch)) == ["junk", "m1", "other"]


def test_a_failed_call_leaves_the_rest_untried_and_remembers_nothing() -> None:
    ledger, crm = Ledger(*(stored(f"l{i}") for i in range(5))), Destination(size=2)
    crm.down = True
    assert CrmSync(ledger, lambda: crm).sync(leads(5)) == [f"m{i}" for i in range(5)]
    assert len(crm.calls) == 1
    assert ledger.sent == {}


def test_no_time_left_means_no_call() -> None:
    ledger, crm = Ledger(stored("l0")), Destination()
    assert CrmSync(ledger, lambda: crm, margin_s=3).sync(leads(1), Context(2_000)) == ["m0"]
    assert crm.calls == []


@pytest.mark.parametrize(("allowed", "calls"), [(None, 3), (1, 1), (0, 0)])
def test_the_api_allowance_bounds_the_calls(allowed: int | None, calls: int) -> None:
    ledger = Ledger(*(stored(f"l{i}") for i in range(5)))
    crm = Destination(size=2, allowed=allowed)
    failed = CrmSync(ledger, lambda: crm).sync(leads(5))
    assert len(crm.calls) == calls
    assert len(failed) == 5 - sum(len(records) for _, records in crm.calls)


def test_leads_not_for_the_crm_are_skipped_as_done() -> None:
    ledger, crm = Ledger(stored("l0", classification="support")), Destination()
    assert CrmSync(ledger, lambda: crm).sync(leads(2)) == []  # l1 not stored (quarantine TTL)
    assert crm.calls == []


def test_account_changes_are_sent_as_accounts() -> None:
    ledger, crm = Ledger(), Destination()
    batch = [message("a", "account.routed", account_id="acme", domain="acme.io",
                     team="new_business", rule="NB-1", owner_id="tae-1",
                     previous={"team": None, "rule": None, "owner_id": None}),
             message("b", "account.routed", account_id="nodomain", team="bdr")]  # fmt: skip
    assert CrmSync(ledger, lambda: crm).sync(batch) == []
    assert crm.calls == [("account", [{"id": "acme.io", "team": "new_business"}])]


# --- API usage ------------------------------------------------------------------------------
def test_the_limit_info_header_is_read() -> None:
    """REST API guide, "Limit Info Header": ``Sforce-Limit-Info: api-usage=18/5000``."""
    assert parse_usage("api-usage=18/5000") == (18, 5000)
    assert parse_usage("api-usage=25/5000; per-app-api-usage=17/250(appName=x)") == (25, 5000)
    assert parse_usage(None) is None
    assert parse_usage("nonsense") is None


def test_the_sync_slows_then_stops_before_the_daily_limit_and_probes_later() -> None:
    usage = ApiUsage(slow_at=0.8, stop_at=0.95, hold_s=900)
    assert usage.pace(0) is Pace.FULL  # nothing known yet
    usage.observe("api-usage=3999/5000", now=0)
    assert usage.calls_allowed(0) is None
    usage.observe("api-usage=4000/5000", now=1)
    assert usage.calls_allowed(1) == 1
    usage.observe("api-usage=4750/5000", now=2)
    assert usage.calls_allowed(2) == 0
    assert usage.calls_allowed(2 + 900) == 1  # held, then one call to read the header again


# --- account.routed: only a change of team, rule or owner ------------------------------------
def test_account_routed_only_when_team_rule_or_owner_changes() -> None:
    owner = {"id": "tae-1", "name": "Grace", "role": "TAE"}
    before = {"team": "new_business", "rule": "NB-1", "owner": owner, "domain": "acme.io"}
    record = AccountRecord("acme", routing=before)
    renamed = {**before, "domain": "acme.com"}
    assert routed_events([record], {"acme": renamed}) == {}
    moved = {**before, "rule": "NB-2"}
    (detail,) = routed_events([record], {"acme": moved}).values()
    assert detail["previous"] == {"team": "new_business", "rule": "NB-1", "owner_id": "tae-1"}
    assert (detail["rule"], detail["owner_id"], detail["domain"]) == ("NB-2", "tae-1", "acme.io")
    assert "name" not in json.dumps(detail)  # ids only


# --- mappings --------------------------------------------------------------------------------
def _facts(**changes: Any) -> LeadFacts:
    fields = {"lead_id": "l1", "email": "a@acme.io", "first_name": None, "last_name": None,
              "company": None, "domain": "acme.io", "lead_score": 40, "icp_score": 20,
              "icp_tier": "high", "outcome": "manual_review", "reasons": "r",
              "rulebook_version": "v1", "owner": None}  # fmt: skip
    return LeadFacts(**{**fields, **changes})  # type: ignore[arg-type]


def test_salesforce_required_lead_fields_have_fallbacks_and_no_owner_without_a_user_id() -> None:
    lead = SalesforceMapping().lead(_facts())
    assert (lead["LastName"], lead["Company"]) == ("[not provided]", "acme.io")
    assert "OwnerId" not in lead
    assert "Id" not in lead


def test_mappings_are_configurable_and_refuse_unknown_keys() -> None:
    mapping = SalesforceMapping.model_validate_json('{"lead_fields": {"lead_score": "Score__c"}}')
    lead = mapping.lead(_facts())
    assert lead["Score__c"] == 40
    assert "LeadOps_ICP_Score__c" not in lead
    with pytest.raises(ValueError, match="lead_fields"):
        SalesforceMapping.model_validate_json('{"lead_fields": {"email": "Email"}}')
    contact = HubSpotMapping().contact(_facts(owner=REP))
    assert contact["properties"]["hubspot_owner_id"] == "42"
    assert contact["properties"]["leadops_lead_score"] == "40"  # HubSpot takes strings


def test_the_reasons_summary_is_cut_to_fit_a_text_field() -> None:
    assert reasons_summary(["a", "b"]) == "a; b"
    long = reasons_summary(["x" * 300])
    assert len(long) == 255
    assert long.endswith("…")


# --- the sweep announces what it wrote --------------------------------------------------------
class Bus:
    def __init__(self) -> None:
        self.events: list[tuple[str, dict[str, Any]]] = []

    def publish_all(self, detail_type: str, details: list[dict[str, Any]]) -> None:
        self.events += [(detail_type, detail) for detail in details]


def test_the_sweep_announces_each_routing_change_once_after_writing_it(
    rulebook: Any, scorer: Any
) -> None:
    accounts = MemoryAccounts(*(account(f"a{i:02}", **PLS1) for i in range(30)))
    pools, bus = MemoryPools(rep("tam-1", RepRole.TAM)), Bus()
    task = SweepTask(sweep_id="s", segment=0, total_segments=1)

    def sweep() -> None:
        routing = AccountRouting(rulebook, scorer, pools, NOW)
        run_segment(task, accounts, routing, lambda: 10**9, page_size=7, events=bus)

    sweep()
    assert len(bus.events) == 30
    assert {t for t, _ in bus.events} == {"account.routed"}
    written = {a for batch in accounts.writes for a in batch}
    assert {detail["account_id"] for _, detail in bus.events} == written
    assert {detail["owner_id"] for _, detail in bus.events} == {"tam-1"}
    sweep()  # a re-run over unchanged data: nothing written, nothing announced
    assert len(bus.events) == 30


def test_the_clients_never_send_more_than_the_documented_batch() -> None:
    """Salesforce: "The list can contain up to 200 objects"; HubSpot: 100 inputs a call."""
    from leadops.adapters.hubspot import HubSpotClient, HubSpotDestination
    from leadops.adapters.salesforce import SalesforceClient, SalesforceDestination

    sf = SalesforceClient("http://127.0.0.1:9", "id", "secret")
    with pytest.raises(ValueError, match="200"):
        sf.upsert("Lead", "LeadOps_Lead_Id__c", [{}] * 201)
    hs = HubSpotClient("http://127.0.0.1:9", "pat")
    with pytest.raises(ValueError, match="100"):
        hs.upsert("contacts", [{}] * 101)
    assert SalesforceDestination(sf, SalesforceMapping()).batch_size("lead") == 200
    assert HubSpotDestination(hs, HubSpotMapping()).batch_size("lead") == 100


# --- issue 15: lead.mql ----------------------------------------------------------------------
MQL = {"person_id": "p1", "domain": "acme.io", "behaviour_score": 55, "fit_letter": "A",
       "grade": "A1", "mql_at": "2026-12-02T01:00:00+00:00"}  # fmt: skip


def test_an_mql_adds_its_fields_to_the_lead_record_and_a_lead_less_one_is_acknowledged() -> None:
    class Mqls(Destination):
        def lead_record(self, facts: LeadFacts) -> dict[str, Any] | None:
            return {"id": facts.lead_id, "grade": facts.grade, "score": facts.behaviour_score}

    ledger, crm = Ledger(stored("l0")), Mqls()
    batch = [message("m0", "lead.mql", lead_id="l0", **MQL),
             message("m1", "lead.mql", lead_id=None, **MQL),
             message("m2", "lead.mql", lead_id="l0", person_id="p1")]  # fmt: skip
    assert CrmSync(ledger, lambda: crm).sync(batch) == ["m2"]  # no score: fails alone
    assert crm.calls == [("lead", [{"id": "l0", "grade": "A1", "score": 55}])]
    assert CrmSync(ledger, lambda: crm).sync(batch[:2]) == []  # a replay: nothing sent
    assert len(crm.calls) == 1


def test_mql_fields_are_mapped_when_known_and_left_out_otherwise() -> None:
    known = _facts(behaviour_score=55, grade="A1", mql_at="2026-12-02T01:00:00+00:00")
    lead = SalesforceMapping().lead(known)
    assert (lead["LeadOps_Behaviour_Score__c"], lead["LeadOps_Grade__c"]) == (55, "A1")
    assert lead["LeadOps_MQL_At__c"] == "2026-12-02T01:00:00+00:00"
    properties = HubSpotMapping().contact(known)["properties"]
    assert (properties["leadops_behaviour_score"], properties["leadops_lead_grade"]) == ("55", "A1")
    assert properties["leadops_mql_at"] == "2026-12-02T01:00:00+00:00"
    # a later event about the lead (no MQL fields known) never clears them in the CRM
    assert "LeadOps_Grade__c" not in SalesforceMapping().lead(_facts())
    assert "leadops_lead_grade" not in HubSpotMapping().contact(_facts())["properties"]
    custom = SalesforceMapping.model_validate_json('{"lead_fields": {"grade": "Grade__c"}}')
    assert custom.lead(known)["Grade__c"] == "A1"
