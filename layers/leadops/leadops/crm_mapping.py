"""How leadops' facts become Salesforce records and HubSpot inputs: pure, configurable.

Each destination's field mapping is a JSON document in its template parameter
(``SalesforceFieldMapping``, ``HubSpotPropertyMapping``); an empty one keeps the defaults
below. A key left out of a mapping is not sent; the keys a mapping may name are
``FACT_KEYS`` (leads) and ``ACCOUNT_KEYS`` (routed accounts). docs/salesforce.md and
docs/hubspot.md list the fields to create in the CRM.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from leadops.destinations import AccountFacts, LeadFacts

FactKey = Literal[
    "lead_id",
    "lead_score",
    "icp_score",
    "icp_tier",
    "outcome",
    "reasons",
    "rulebook_version",
    "behaviour_score",
    "grade",
    "mql_at",
]
# known from a lead.mql event only (issue 15): left out of a record when unknown, so a later
# event about the lead never clears them
MQL_KEYS: frozenset[str] = frozenset({"behaviour_score", "grade", "mql_at"})
AccountKey = Literal["team", "rule"]
SalesforceField = Annotated[str, StringConstraints(pattern=r"^[A-Za-z][A-Za-z0-9_]{0,79}$")]
HubSpotProperty = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,99}$")]
_SALESFORCE_LEAD_FIELDS: dict[FactKey, str] = {
    "lead_score": "LeadOps_Lead_Score__c",
    "icp_score": "LeadOps_ICP_Score__c",
    "icp_tier": "LeadOps_ICP_Tier__c",
    "outcome": "LeadOps_Outcome__c",
    "reasons": "LeadOps_Reasons__c",
    "rulebook_version": "LeadOps_Rulebook_Version__c",
    "behaviour_score": "LeadOps_Behaviour_Score__c",
    "grade": "LeadOps_Grade__c",
    "mql_at": "LeadOps_MQL_At__c",
}
_SALESFORCE_ACCOUNT_FIELDS: dict[AccountKey, str] = {
    "team": "LeadOps_Team__c",
    "rule": "LeadOps_Routing_Rule__c",
}
_HUBSPOT_CONTACT_PROPERTIES: dict[FactKey, str] = {
    "lead_id": "leadops_lead_id",
    "lead_score": "leadops_lead_score",
    "icp_score": "leadops_icp_score",
    "icp_tier": "leadops_icp_tier",
    "outcome": "leadops_outcome",
    "reasons": "leadops_reasons",
    "rulebook_version": "leadops_rulebook_version",
    "behaviour_score": "leadops_behaviour_score",
    "grade": "leadops_lead_grade",
    "mql_at": "leadops_mql_at",
}
_HUBSPOT_COMPANY_PROPERTIES: dict[AccountKey, str] = {
    "team": "leadops_team",
    "rule": "leadops_routing_rule",
}
NOT_PROVIDED = "[not provided]"  # what Salesforce's own web-to-lead writes for a missing name


def _fact(facts: LeadFacts, key: FactKey) -> Any:
    return getattr(facts, key)


def _mapped(facts: LeadFacts, names: dict[FactKey, str]) -> dict[str, Any]:
    """Each mapped fact by its CRM name; an MQL fact only when known."""
    values = {key: _fact(facts, key) for key in names}
    return {names[k]: v for k, v in values.items() if v is not None or k not in MQL_KEYS}


def _account(facts: AccountFacts, key: AccountKey) -> Any:
    return getattr(facts, key)


class SalesforceMapping(BaseModel):
    """Lead fields by external id; Account owner and team by the account's domain."""

    model_config = ConfigDict(defer_build=True, extra="forbid", frozen=True)

    lead_external_id_field: SalesforceField = "LeadOps_Lead_Id__c"
    lead_fields: dict[FactKey, SalesforceField] = Field(
        default_factory=lambda: dict(_SALESFORCE_LEAD_FIELDS)
    )
    account_external_id_field: SalesforceField = "LeadOps_Domain__c"
    account_fields: dict[AccountKey, SalesforceField] = Field(
        default_factory=lambda: dict(_SALESFORCE_ACCOUNT_FIELDS)
    )

    def lead(self, facts: LeadFacts) -> dict[str, Any]:
        """One Lead of an sObject Collections upsert (``attributes.type`` and the external id
        field set, never ``Id``). LastName and Company are required to create a Lead."""
        record: dict[str, Any] = {
            "attributes": {"type": "Lead"},
            self.lead_external_id_field: facts.lead_id,
            "Email": facts.email,
            "LastName": facts.last_name or NOT_PROVIDED,
            "Company": facts.company or facts.domain or NOT_PROVIDED,
        }
        if facts.first_name:
            record["FirstName"] = facts.first_name
        record |= _mapped(facts, self.lead_fields)
        if facts.owner is not None and facts.owner.salesforce_user_id:
            record["OwnerId"] = facts.owner.salesforce_user_id
        return record

    def account(self, facts: AccountFacts) -> dict[str, Any] | None:
        """The Account's owner and team fields, matched by domain; None without a domain."""
        if not facts.domain:
            return None
        record: dict[str, Any] = {
            "attributes": {"type": "Account"},
            self.account_external_id_field: facts.domain,
        }
        for key, field in self.account_fields.items():
            record[field] = _account(facts, key)
        if facts.owner is not None and facts.owner.salesforce_user_id:
            record["OwnerId"] = facts.owner.salesforce_user_id
        return record


class HubSpotMapping(BaseModel):
    """Contact properties (upserted by email) and company properties (by ``company_id_property``,
    a property with unique values: ``domain`` by default)."""

    model_config = ConfigDict(defer_build=True, extra="forbid", frozen=True)

    contact_properties: dict[FactKey, HubSpotProperty] = Field(
        default_factory=lambda: dict(_HUBSPOT_CONTACT_PROPERTIES)
    )
    company_id_property: HubSpotProperty = "domain"
    company_properties: dict[AccountKey, HubSpotProperty] = Field(
        default_factory=lambda: dict(_HUBSPOT_COMPANY_PROPERTIES)
    )

    def contact(self, facts: LeadFacts) -> dict[str, Any]:
        """One input of ``POST /crm/v3/objects/contacts/batch/upsert``."""
        properties: dict[str, Any] = {"email": facts.email}
        standard = {"firstname": facts.first_name, "lastname": facts.last_name,
                    "company": facts.company}  # fmt: skip
        properties |= {name: value for name, value in standard.items() if value}
        mapped = _mapped(facts, self.contact_properties)
        properties |= {name: _string(value) for name, value in mapped.items()}
        if facts.owner is not None and facts.owner.hubspot_owner_id:
            properties["hubspot_owner_id"] = facts.owner.hubspot_owner_id
        return {"idProperty": "email", "id": facts.email, "properties": properties}

    def company(self, facts: AccountFacts) -> dict[str, Any] | None:
        """One input of ``POST /crm/v3/objects/companies/batch/upsert``; None without a domain."""
        if not facts.domain:
            return None
        properties: dict[str, Any] = {}
        for key, name in self.company_properties.items():
            properties[name] = _string(_account(facts, key))
        if facts.owner is not None and facts.owner.hubspot_owner_id:
            properties["hubspot_owner_id"] = facts.owner.hubspot_owner_id
        if self.company_id_property == "domain":
            properties["domain"] = facts.domain
        return {"idProperty": self.company_id_property, "id": facts.domain,
                "properties": properties}  # fmt: skip


def _string(value: Any) -> str:
    """HubSpot property values are strings; an unknown value clears the property ("")."""
    return "" if value is None else str(value)
