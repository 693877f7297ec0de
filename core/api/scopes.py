"""API token scopes. A view names its area in `token_scope`; reads need `<area>:read`, writes `<area>:write`.

A token can never exceed its user's role: scopes only narrow what the role allows.
"""

SCOPES: dict[str, str] = {
    "reference:read": "Read reference data (districts, therapy types, primary needs)",
    "providers:read": "Read providers, lists, memberships, questionnaires, pricing and compliance",
    "providers:write": "Change providers' questionnaires, pricing, documents and capacity",
    "children:read": "Read children's records, provision, referrals and placements",
    "children:write": "Change children's records, provision, referrals and placements",
    "invoices:read": "Read invoices and disputes",
    "invoices:write": "Submit and decide invoices and disputes",
    "contracts:read": "Read contracts, routes, years, variations, funding and posts",
    "contracts:write": "Change contracts and their money",
    "performance-returns:read": "Read NHS performance returns",
    "performance-returns:write": "Upload NHS performance returns",
    "dps:read": "Read placement requests, invitations, offers and school placements",
    "dps:write": "Make offers and change school placements",
    "reports:read": "Read report runs and download their files",
    "reports:write": "Request report runs",
}
