"""What each role may do with children's therapy (see core.roles). Scope (whose records) is `visible_to`.

Only officers (and the council's own integrations) see who a child is. Commissioners see placements,
the waiting list, invoices and provision assurance by the child's pseudonymous reference. A provider
user sees their own placements, invoices, disputes and reviews, and the children concerned by EHCP
reference and first name only.
"""

from core.roles import Role

NMISS_READ = {
    "placements.view_placementrequest",
    "placements.view_invitation",
    "placements.view_offer",
    "placements.view_schoolplacement",
    "placements.view_feeuplift",
    "placements.view_blockcontract",
    "placements.view_nmisshistoricalspend",
}
READ_WITHOUT_IDENTITY = NMISS_READ | {
    "placements.view_referral",
    "placements.view_placement",
    "placements.view_placementvariation",
    "placements.view_personalbudget",
    "placements.view_invoice",
    "placements.view_dispute",
    "placements.view_review",
    "placements.view_provision_assurance",
}
READ_ALL = READ_WITHOUT_IDENTITY | {
    "placements.view_child",
    "placements.view_child_identity",
    "placements.view_provision",
}

ROLE_PERMISSIONS = {
    Role.OFFICER: READ_ALL
    | {
        "placements.add_child",
        "placements.change_child",
        "placements.export_child_record",
        "placements.add_provision",
        "placements.change_provision",
        "placements.add_referral",
        "placements.change_referral",
        "placements.add_placement",
        "placements.change_placement",
        "placements.change_placement_status",
        "placements.add_placementvariation",
        "placements.change_personalbudget",
        "placements.add_invoice",  # payments to families on personal budgets
        "placements.decide_invoice",
        "placements.add_dispute",
        "placements.resolve_dispute",
        "placements.add_review",
        # NMISS through the DPS
        "placements.add_placementrequest",
        "placements.change_placementrequest",
        "placements.award_placementrequest",
        "placements.add_schoolplacement",
        "placements.change_schoolplacement",
        "placements.add_feeuplift",
        "placements.add_blockcontract",
        "placements.change_blockcontract",
        "placements.change_nmisshistoricalspend",
    },
    Role.COMMISSIONER: READ_WITHOUT_IDENTITY,
    Role.PROVIDER: {
        "placements.view_child",  # only the children they have placements for, by EHCP reference and first name
        "placements.view_provision",
        "placements.view_placement",
        "placements.view_placementvariation",
        "placements.view_invoice",
        "placements.add_invoice",
        "placements.view_dispute",
        "placements.view_review",
        "placements.view_provision_assurance",
        # Schools on the DPS: the requests they are invited to, their own offers and placements
        "placements.view_placementrequest",
        "placements.view_invitation",
        "placements.change_invitation",
        "placements.view_offer",
        "placements.add_offer",
        "placements.view_schoolplacement",
        "placements.view_feeuplift",
        "placements.view_blockcontract",
    },
    # The council's own systems (case management, finance): bounded further by each token's scopes.
    Role.INTEGRATION: READ_ALL
    | {
        "placements.add_child",
        "placements.change_child",
        "placements.add_provision",
        "placements.change_provision",
        "placements.add_referral",
        "placements.change_referral",
        "placements.decide_invoice",
    },
}
