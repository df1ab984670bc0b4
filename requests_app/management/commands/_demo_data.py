"""The demo catalog, people and conversation snippets used by ``seed_demo``.

Kept apart from the command so the command reads as what it does; a module
starting with an underscore is not a management command.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from departments.models import FieldType, Priority
from requests_app.models import Status

DEMO_PASSWORD = "demo"  # noqa: S105 - published demo password, printed on purpose
DAYS = 60
T = FieldType


class F(NamedTuple):
    """A service form field. ``samples``: answers demo requesters give; for numbers a (low, high) range,
    for dates a (low, high) range of days from the filing date."""

    name: str
    label: str
    type: str = T.SHORT_TEXT
    required: bool = False
    help: str = ""
    choices: str = ""
    samples: tuple[Any, ...] = ()


class Offer(NamedTuple):
    """A catalog service, the titles requesters give it, and one exchange that fits it."""

    slug: str
    name: str
    description: str
    what_you_get: str
    what_to_provide: str
    fields: tuple[F, ...]
    titles: tuple[str, ...]
    talk: tuple[str, str, str, str]  # agent's question, requester's answer, internal note, resolution note
    priority: str = Priority.NORMAL
    urgent: bool = False  # uses the "Urgent" SLA policy instead of the department's default
    requester_limit: str = ""  # the highest urgency a requester may state ("": the department decides)


class Team(NamedTuple):
    slug: str
    name: str
    prefix: str
    description: str
    people: tuple[tuple[str, str], ...]  # (first, last): the lead, then two agents
    offers: tuple[Offer, ...]


POLICIES = {
    "Standard": (
        "Business-hours targets for everyday requests.",
        {"low": (480, 4800), "normal": (240, 1920), "high": (120, 960), "critical": (60, 480)},
    ),
    "Urgent": (
        "For services where someone cannot work until we act: lock-outs, badges.",
        {"low": (120, 960), "normal": (60, 480), "high": (30, 240), "critical": (15, 120)},
    ),
}

MD_PROVIDE = "- **{0}**\n- anything that helps us understand the situation"
# The catalog as a table: one Offer per service, one F per form field. Kept dense on purpose.
# fmt: off
TEAMS = (
    Team(
        "it", "IT", "IT",
        "Laptops, software, accounts and access. We keep your tools running so you can keep working.",
        (("Maria", "Keller"), ("Tom", "Becker"), ("Aisha", "Rahman")),
        (
            Offer(
                "laptop-replacement", "Laptop replacement", "A replacement for a broken, slow, lost or stolen laptop.",
                "A configured laptop with your data restored, usually **within two business days**.",
                MD_PROVIDE.format("the asset tag of your current laptop"),
                (
                    F("asset_tag", "Asset tag", required=True, help="The sticker on the bottom, e.g. LT-20417.",
                      samples=("LT-20417", "LT-19873", "LT-21150", "LT-18802")),
                    F("reason", "Reason", T.CHOICE, True, choices="Broken\nToo slow\nLost or stolen\nEnd of lease"),
                    F("needed_by", "Needed by", T.DATE, samples=(2, 14)),
                    F("photo", "Photo of the damage", T.FILE, help="Optional; helps with the warranty claim."),
                ),
                ("Laptop screen flickers", "Laptop does not charge any more", "Keyboard keys stuck",
                 "Laptop stolen from my car", "Laptop very slow since the update", "Lease of my laptop ends"),
                ("Could you send me the asset tag? It is on the sticker under the laptop.",
                 "It's LT-20417, thanks!",
                 "Still under warranty; ordering the replacement via the vendor portal.",
                 "Replacement laptop handed over at the IT desk; the old one is wiped and goes back to the vendor."),
                requester_limit=Priority.HIGH,
            ),
            Offer(
                "software-installation", "Software installation", "Install licensed or approved software.",
                "The software installed on your laptop, licensed where needed.",
                MD_PROVIDE.format("the software name and version"),
                (
                    F("software", "Software", required=True,
                      samples=("Visual Studio Code", "Adobe Acrobat Pro", "Tableau Desktop", "Figma", "Python 3.12")),
                    F("licence", "I need a paid licence", T.CHECKBOX),
                    F("business_reason", "Business reason", T.LONG_TEXT, True,
                      samples=("Needed for the Q3 reporting project.", "Our client sends PDFs we must sign.")),
                ),
                ("Install Tableau", "Need Acrobat Pro for contracts", "Software for the new project"),
                ("Which version do you need, and is it for you alone or the whole team?",
                 "The latest version, just for me.",
                 "Licence pool is empty; asked procurement for two more seats.",
                 "Installed and licensed; you find it in the start menu."),
            ),
            Offer(
                "access-request", "Access request", "Access to business systems and shared drives.",
                "Access to the systems you listed once your manager approved it.",
                MD_PROVIDE.format("the systems and your approving manager"),
                (
                    F("systems", "Systems", T.MULTI_CHOICE, True,
                      choices="Salesforce\nSAP\nJira\nConfluence\nGitHub\nShared drive: Finance\nVPN"),
                    F("access_level", "Access level", T.CHOICE, True, choices="Read only\nRead and write\nAdmin"),
                    F("approver", "Approving manager", required=True, help="Your manager, who approves the access.",
                      samples=("Maria Keller", "Richard Hoffmann", "Sofia Lindqvist")),
                    F("until", "Access until", T.DATE, help="Leave empty for permanent access.", samples=(30, 120)),
                ),
                ("Access to Jira and Confluence", "VPN access for home office", "SAP read access", "GitHub access"),
                ("Can your manager confirm this here? A one-line reply is enough.",
                 "My manager just confirmed by email.",
                 "Write access to SAP needs the system owner's sign-off.",
                 "Access granted. It can take up to an hour to reach all systems."),
            ),
            Offer(
                "password-reset", "Password reset / account unlock", "Locked out? We verify you and unlock.",
                "Your account unlocked **within an hour** during business hours.",
                MD_PROVIDE.format("which account is locked"),
                (
                    F("account", "Account", T.CHOICE, True, choices="Windows login\nEmail\nVPN\nSAP\nOther"),
                    F("locked_out", "I am locked out completely", T.CHECKBOX),
                    F("callback_phone", "Phone for a call-back", help="We call to verify before resetting.",
                      samples=("+49 30 1234 567", "ext. 4411", "+49 170 5550 123")),
                ),
                ("Locked out of Windows", "VPN password expired", "Cannot log in to email"),
                ("When can I call you to verify your identity?",
                 "Any time before 4 pm, on my mobile.",
                 "Third lock-out this month; probably an old password saved on the phone.",
                 "Account unlocked; you choose a new password at the next login."),
                Priority.HIGH, True, Priority.CRITICAL,
            ),
        ),
    ),
    Team(
        "hr", "HR", "HR",
        "Certificates, leave, personal details and everything around your employment.",
        (("Sofia", "Lindqvist"), ("Daniel", "Okafor"), ("Emma", "Schulz")),
        (
            Offer(
                "employment-certificate", "Employment certificate", "A signed certificate of your employment.",
                "A signed PDF certificate **within three business days**.",
                MD_PROVIDE.format("what the certificate is for and by when you need it"),
                (
                    F("purpose", "Purpose", required=True,
                      samples=("Apartment rental", "Bank loan", "Visa application", "Kindergarten place")),
                    F("needed_by", "Date needed", T.DATE, True, samples=(3, 21)),
                    F("language", "Language", T.CHOICE, choices="English\nGerman\nFrench"),
                    F("include_salary", "Include my salary", T.CHECKBOX),
                ),
                ("Certificate for my flat application", "Employment certificate for the bank", "Visa paperwork"),
                ("Should the certificate go to your home address or the office?",
                 "Home, please; my profile is current.",
                 "Use the new letterhead template.",
                 "Certificate issued and sent to you as a signed PDF."),
            ),
            Offer(
                "leave-balance", "Leave balance question", "Questions about your remaining leave days.",
                "A written answer with your balance and carry-over.", MD_PROVIDE.format("your question"),
                (
                    F("question", "Your question", T.LONG_TEXT, True,
                      samples=("How many days do I have left this year?", "Do my carry-over days expire?")),
                    F("period", "Period", T.CHOICE, choices="This year\nLast year\nCarry-over"),
                ),
                ("How many leave days do I have left?", "Carry-over days from last year", "Leave balance looks wrong"),
                ("Does your question include the days you booked for December?",
                 "Yes, those are already approved.",
                 "Leave records show 4 days carried over.",
                 "Your balance is 14 days including 4 carried over; those expire on 31 March."),
            ),
            Offer(
                "personal-details", "Update personal details", "Change your address, bank account or name.",
                "Your records updated in time for the next payroll run.",
                MD_PROVIDE.format("what changes and from when") + "\n\nNever send full bank details here; we call you.",
                (
                    F("details", "What changes", T.MULTI_CHOICE, True,
                      choices="Address\nBank account\nName\nEmergency contact\nTax class"),
                    F("effective_from", "Effective from", T.DATE, True, samples=(0, 30)),
                    F("new_details", "New details", T.LONG_TEXT,
                      samples=("New address: Lindenstraße 12, 10969 Berlin", "Married, new surname from next month")),
                ),
                ("I moved", "New bank account", "Name change after marriage", "New emergency contact"),
                ("From which date does the change apply?",
                 "From the first of next month.",
                 "Payroll needs this before the 20th for this month's run.",
                 "Your details are updated and show on your next payslip."),
            ),
        ),
    ),
    Team(
        "finance", "Finance", "FIN",
        "Expenses, purchasing, suppliers and invoices: we pay what the company owes and reimburse what you paid.",
        (("Richard", "Hoffmann"), ("Priya", "Nair"), ("Lukas", "Novak")),
        (
            Offer(
                "expense-reimbursement", "Expense reimbursement", "Get back what you paid for the company.",
                "Payout with the **next salary run** once approved.",
                MD_PROVIDE.format("the amount, the date and the receipt"),
                (
                    F("amount", "Amount (EUR)", T.NUMBER, True, help="Including VAT.", samples=(12, 900)),
                    F("expense_date", "Date of the expense", T.DATE, True, samples=(-30, -1)),
                    F("category", "Category", T.CHOICE, True,
                      choices="Travel\nMeals\nTraining\nOffice supplies\nOther"),
                    F("receipt", "Receipt", T.FILE, help="A photo or scan; optional if you hand it in on paper."),
                ),
                ("Train tickets for the Munich workshop", "Client dinner", "Conference fee", "Office chair cushion"),
                ("The receipt is hard to read; could you send a clearer photo?",
                 "Sent a better scan, same amount.",
                 "Above 500 EUR: needs the lead's approval before payout.",
                 "Approved; paid out with the next salary run."),
            ),
            Offer(
                "purchase-order", "Purchase order", "Order goods or services from a supplier.",
                "A purchase order sent to the supplier within two business days.",
                MD_PROVIDE.format("supplier, amount and cost centre"),
                (
                    F("supplier", "Supplier", required=True, samples=("Office World", "Dell", "CloudHost GmbH")),
                    F("amount", "Amount (EUR)", T.NUMBER, True, samples=(200, 25000)),
                    F("cost_centre", "Cost centre", required=True, samples=("4100", "4200", "5300")),
                    F("urgent_delivery", "Urgent delivery", T.CHECKBOX),
                ),
                ("PO for new monitors", "Annual hosting renewal", "Workshop catering order"),
                ("Do we have a signed quote from the supplier?",
                 "Yes, it is in the procurement tool.",
                 "Cost centre budget is at 90%; flagged to the controller.",
                 "Purchase order PO-48213 sent to the supplier."),
            ),
            Offer(
                "supplier-onboarding", "Supplier onboarding", "Add a new supplier so we can pay their invoices.",
                "The supplier set up in SAP after compliance checks.",
                MD_PROVIDE.format("the supplier's legal name, VAT ID and contact"),
                (
                    F("supplier_name", "Legal name", required=True,
                      samples=("Brightwave Consulting Ltd", "Kaffee & Co")),
                    F("vat_id", "VAT ID", required=True, samples=("DE123456789", "GB987654321")),
                    F("contact_email", "Contact email", required=True, samples=("billing@brightwave.example",)),
                    F("contract", "Contract", T.FILE),
                ),
                ("New supplier: Brightwave Consulting", "Onboard our coffee supplier"),
                ("Could the supplier send us a bank confirmation letter?",
                 "They emailed it to ap@example.com today.",
                 "Supplier passed the sanctions check.",
                 "Supplier created in SAP; invoices can go to ap@example.com."),
            ),
            Offer(
                "invoice-status", "Invoice payment status", "Has an invoice been paid?",
                "The payment status and date within one business day.",
                MD_PROVIDE.format("the invoice number"),
                (
                    F("invoice_number", "Invoice number", required=True, samples=("INV-2024-0815", "R-55120")),
                    F("supplier", "Supplier", samples=("CloudHost GmbH", "Office World")),
                ),
                ("Supplier says invoice unpaid", "Was INV-2024-0815 paid?"),
                ("Which supplier sent the invoice, and for what amount?",
                 "CloudHost GmbH, 1,240 EUR.",
                 "Duplicate invoice number in the ledger; verify before paying.",
                 "Paid; the transfer left on Tuesday."),
            ),
        ),
    ),
    Team(
        "facilities", "Facilities", "FAC",
        "Desks, rooms, building access and repairs: a workplace that works.",
        (("Carlos", "Mendes"), ("Hannah", "Weber"), ("Jonas", "Berg")),
        (
            Offer(
                "desk-chair", "Desk or chair issue", "Broken chair, desk that won't adjust, ergonomics.",
                "A fix or replacement within three business days.", MD_PROVIDE.format("building, floor and desk"),
                (
                    F("location", "Location", required=True, help="Building, floor and desk, e.g. B2-3-14.",
                      samples=("B2-3-14", "A1-2-07", "B1-4-22")),
                    F("problem", "Problem", T.CHOICE, True,
                      choices="Chair broken\nDesk height adjustment\nErgonomic assessment\nMonitor arm\nOther"),
                    F("details", "Details", T.LONG_TEXT, samples=("The gas lift sinks slowly.", "Motor hums only.")),
                ),
                ("Chair sinks down", "Desk stuck at lowest height", "Need a monitor arm", "Ergonomic check please"),
                ("Which floor and desk exactly?",
                 "Building B, 3rd floor, desk 14 by the window.",
                 "Spare chairs are in storage B-012.",
                 "The chair was replaced with a new ergonomic one."),
            ),
            Offer(
                "meeting-room", "Meeting room equipment", "Projectors, screens and video kits in meeting rooms.",
                "Working equipment, fixed on the same day when reported before noon.", MD_PROVIDE.format("the room"),
                (
                    F("room", "Room", required=True, samples=("Berlin (A2)", "Lisbon (B3)", "Oslo (A1)")),
                    F("equipment", "Equipment", T.MULTI_CHOICE, True,
                      choices="Projector\nScreen\nVideo conferencing\nHDMI cable\nSpeakerphone"),
                ),
                ("Projector in Berlin room is dark", "Video kit has no sound", "HDMI cable missing"),
                ("Is the room free tomorrow morning for the technician?",
                 "Yes, it's free until 11.",
                 "Vendor visit booked for Thursday morning.",
                 "Projector bulb and HDMI cable replaced; tested with a laptop."),
            ),
            Offer(
                "access-badge", "Access badge", "Lost or broken badges and access to areas.",
                "A working badge **the same day**.", MD_PROVIDE.format("what happened to your badge"),
                (
                    F("issue", "Issue", T.CHOICE, True, choices="Lost badge\nBadge not working\nNew area access"),
                    F("areas", "Areas", T.MULTI_CHOICE, choices="Main entrance\nGarage\nServer room\nLab\nArchive"),
                ),
                ("Lost my badge", "Badge stopped working", "Garage access needed"),
                ("Do you need access outside office hours too?",
                 "Yes, I sometimes start at 6 am.",
                 "The badge was deactivated after 90 days unused.",
                 "New badge printed; pick it up at reception."),
                Priority.HIGH, True,
            ),
        ),
    ),
)

# (username, first name, last name, email); the first two are the primary demo logins.
EMPLOYEES = (
    ("employee", "Anna", "Fischer", "employee@example.com"),
    ("contractor", "Mark", "Doyle (contractor, Brightwave)", "contractor@brightwave.example"),
    *(
        (f"{first}.{last}".lower(), first, last, f"{first}.{last}@example.com".lower())
        for first, last in (
            ("Lena", "Wolf"), ("Omar", "Haddad"), ("Julia", "Costa"), ("Peter", "Nguyen"), ("Sara", "Jensen"),
            ("Ben", "Carter"), ("Yuki", "Tanaka"), ("Nina", "Petrovic"), ("Felix", "Braun"),
        )
    ),
)
# fmt: on
ADMIN = ("admin", "Ada", "Admin", "admin@example.com")

FIRST_REPLIES = (
    "Hi {first}, thanks for the request. I've picked it up and will get back to you today.",
    "Thanks {first}, I'm looking into it now.",
    "Hello {first}, got it.\n\n**Next step:** I check the details and update you here.",
)
FOLLOW_UPS = (
    "Any update on this? It is getting a bit urgent.",
    "One more detail: this started on Monday.",
    "I'm out of office on Friday; Tuesday works too.",
)
AGENT_FOLLOW_UPS = ("Thanks, noted. Still on it.", "Good to know. I'll update you by tomorrow.")
REOPENS = ("Sorry, the problem is back since this morning.", "That did not quite solve it; could you look again?")
WITHDRAWALS = ("Never mind, it sorted itself out.", "Not needed any more, thanks!")
# Status mix and how old such requests are (days): old ones are closed, the backlog is recent.
STATUS_MIX = {
    Status.NEW: (12, 0.02, 2),
    Status.OPEN: (18, 0.1, 6),
    Status.WAITING: (10, 0.5, 3),  # waiting less than the default auto-close (5 business days)
    Status.RESOLVED: (14, 0.5, 6),
    Status.CLOSED: (38, 6, DAYS - 3),  # office_hours() may move a filing up to ~3 days earlier
    Status.CANCELLED: (8, 0.5, DAYS - 3),
}
STATUS_FIELDS = ("updated_at", "first_responded_at", "resolved_at", "closed_at")
EMPTY = {T.NUMBER: None, T.DATE: None, T.MULTI_CHOICE: [], T.CHECKBOX: False, T.FILE: None}

# --- triage --------------------------------------------------------------------------------------
# Departments that publish no services: internal customers only ("Finance serves Sales").
CUSTOMER_DEPARTMENTS = (
    ("sales", "Sales", "SAL", "Finds and keeps our customers."),
    ("marketing", "Marketing", "MKT", "Tells the world what we do."),
)
# Where each demo employee works (their home department, the "requester's department" of the queue).
HOMES = {
    "employee": "sales",
    "contractor": "marketing",
    "lena.wolf": "sales",
    "omar.haddad": "marketing",
    "julia.costa": "finance",
    "peter.nguyen": "sales",
    "sara.jensen": "marketing",
    "ben.carter": "facilities",
    "yuki.tanaka": "sales",
    "nina.petrovic": "hr",
    "felix.braun": "it",
}
CONTRACTORS = {"contractor"}
# People who read the desk in their own language and time zone (the others: the browser's, the site's).
READERS = {
    "lena.wolf": ("de", "Europe/Berlin"),
    "felix.braun": ("de", "Europe/Berlin"),
    "julia.costa": ("pt-br", "America/Sao_Paulo"),
}
# How each department assigns new requests (the others assign by hand).
ASSIGNMENT = {"it": "round_robin", "facilities": "by_service"}
CANNED = {
    "it": (
        (
            "Asset tag, please",
            "Hi {{ requester_first_name }},\n\ncould you send me the **asset tag** of your "
            "laptop? It is on the sticker underneath.\n\nThanks, {{ agent_first_name }}",
        ),
        (
            "Restart first",
            "Hi {{ requester_first_name }},\n\nplease restart your laptop and tell me here whether "
            "the problem in {{ reference }} is still there.\n\n{{ agent_first_name }}",
        ),
    ),
    "hr": (
        (
            "Certificate on its way",
            "Hello {{ requester_first_name }},\n\nyour certificate is being prepared; you "
            "will find it in your HR mailbox within two business days.\n\n{{ agent_name }}, HR",
        ),
    ),
    "finance": (
        (
            "Receipts missing",
            "Hi {{ requester_first_name }},\n\nto refund {{ reference }} we need the original "
            "receipts as PDF. Please attach them here.\n\n{{ agent_first_name }}, Finance",
        ),
    ),
    "facilities": (
        (
            "Technician booked",
            "Hello {{ requester_first_name }},\n\na technician is booked for “{{ title }}”; we "
            "will confirm the time here.\n\n{{ agent_first_name }}, Facilities",
        ),
    ),
}
TRANSFER_REASON = "This is about pay, which Finance handles; passing it on with the conversation so far."
