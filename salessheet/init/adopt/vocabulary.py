"""What sales sheets call things: header names of CRM exports and hand-made trackers, stage
names, null markers. Plain data, easy to extend: add a name to the right tuple.

Header names are matched after normalisation (NFKC, casefold, camelCase and snake_case split,
units stripped), so ``CloseDate``, ``close_date`` and ``Close Date`` are one entry.
"""

from __future__ import annotations

# fmt: off

# The type of each field the vocabulary knows (a profile's own columns take precedence).
FIELD_TYPES: dict[str, str] = {
    "deal_id": "id",
    "deal_name": "text",
    "customer": "text",
    "stage": "stage",
    "amount": "money",
    "currency": "text",
    "owner": "text",
    "expected_close": "date",
    "created": "date",
    "last_activity": "date",
    "stage_date": "date",
    "lost_reason": "text",
    "probability": "percent",
    "next_step_date": "date",
    "next_step": "text",
    "contact": "text",
    "email": "text",
    "phone": "text",
    "address": "text",
    "notes": "text",
    "lead_source": "text",
    "deal_type": "text",
    "pipeline": "text",
    "forecast_category": "text",
}

# (source, field, header names). A name means the field in every source that lists it; a
# test checks no name is claimed by two fields.
HEADER_NAMES: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    # --- Salesforce (API names and labels of the Opportunity object) ---
    ("Salesforce", "deal_id", ("Id", "Opportunity ID", "Opportunity Id (18)", "OpportunityId")),
    ("Salesforce", "deal_name", ("Name", "Opportunity Name")),
    ("Salesforce", "stage", ("StageName", "Stage")),
    ("Salesforce", "amount", ("Amount",)),
    ("Salesforce", "expected_close", ("CloseDate", "Close Date")),
    ("Salesforce", "probability", ("Probability", "Probability (%)")),
    ("Salesforce", "owner", ("OwnerId", "Owner Name", "Opportunity Owner", "Owner Full Name")),
    ("Salesforce", "created", ("CreatedDate", "Created Date")),
    ("Salesforce", "currency", ("CurrencyIsoCode", "Opportunity Currency", "Currency ISO Code")),
    ("Salesforce", "last_activity", ("LastActivityDate", "Last Activity", "Last Activity Date")),
    ("Salesforce", "stage_date", ("LastStageChangeDate", "Last Stage Change Date")),
    ("Salesforce", "customer", ("AccountId", "Account Name", "Account")),
    ("Salesforce", "contact", ("ContactId", "Primary Contact", "Contact Name")),
    ("Salesforce", "next_step", ("NextStep", "Next Step")),
    ("Salesforce", "lead_source", ("LeadSource", "Lead Source")),
    ("Salesforce", "deal_type", ("Type", "Opportunity Type")),
    ("Salesforce", "forecast_category", (
        "ForecastCategoryName", "ForecastCategory", "Forecast Category",
    )),
    ("Salesforce", "notes", ("Description",)),
    ("Salesforce", "lost_reason", ("Loss_Reason__c",)),
    # --- HubSpot ---
    ("HubSpot", "deal_id", ("Deal ID", "Record ID", "hs_object_id")),
    ("HubSpot", "deal_name", ("Deal Name", "dealname")),
    ("HubSpot", "stage", ("Deal Stage", "dealstage")),
    ("HubSpot", "amount", ("amount", "Amount in company currency")),
    ("HubSpot", "expected_close", ("closedate",)),
    ("HubSpot", "created", ("Create Date", "createdate")),
    ("HubSpot", "owner", ("Deal Owner", "hubspot_owner_id", "HubSpot Owner")),
    ("HubSpot", "lost_reason", ("Closed Lost Reason", "closed_lost_reason")),
    ("HubSpot", "last_activity", ("Last Activity Date", "notes_last_updated")),
    ("HubSpot", "next_step_date", ("Next Activity Date", "notes_next_activity_date")),
    ("HubSpot", "deal_type", ("Deal Type", "dealtype")),
    ("HubSpot", "pipeline", ("Pipeline",)),
    ("HubSpot", "probability", ("Deal probability", "hs_deal_stage_probability")),
    ("HubSpot", "customer", ("Associated Company", "Company Name", "Associated Company Name")),
    ("HubSpot", "email", ("Associated Contact Email",)),
    ("HubSpot", "contact", ("Associated Contact",)),
    ("HubSpot", "currency", ("Currency", "deal_currency_code")),
    ("HubSpot", "stage_date", ("Date entered current stage",)),
    # --- Pipedrive ---
    ("Pipedrive", "deal_id", ("Deal - ID",)),
    ("Pipedrive", "deal_name", ("Deal - Title", "Title")),
    ("Pipedrive", "amount", ("Deal - Value", "Value")),
    ("Pipedrive", "currency", ("Deal - Currency", "Currency of Value", "Deal - Currency of Value")),
    ("Pipedrive", "stage", ("Deal - Stage",)),
    ("Pipedrive", "expected_close", ("Deal - Expected close date", "Expected close date")),
    ("Pipedrive", "owner", ("Deal - Owner", "Deal - Creator")),
    ("Pipedrive", "lost_reason", ("Deal - Lost reason", "Lost reason")),
    ("Pipedrive", "created", (
        "Deal - Deal created", "Deal created", "Deal - Add time", "Add time",
    )),
    ("Pipedrive", "stage_date", ("Deal - Stage change time", "Stage change time")),
    ("Pipedrive", "last_activity", ("Deal - Last activity date", "Last activity date")),
    ("Pipedrive", "next_step_date", ("Deal - Next activity date", "Next activity date")),
    ("Pipedrive", "customer", ("Deal - Organization", "Organization - Name", "Organization")),
    ("Pipedrive", "contact", ("Deal - Contact person", "Person - Name", "Contact person")),
    ("Pipedrive", "email", ("Person - Email",)),
    ("Pipedrive", "phone", ("Person - Phone",)),
    ("Pipedrive", "probability", ("Deal - Probability",)),
    ("Pipedrive", "pipeline", ("Deal - Pipeline",)),
    # --- Zoho CRM (Deals, formerly Potentials) ---
    ("Zoho", "deal_id", ("Record Id", "Deal Id", "Potential Id", "POTENTIALID")),
    ("Zoho", "deal_name", ("Potential Name",)),
    ("Zoho", "owner", ("Potential Owner", "Deal Owner")),
    ("Zoho", "expected_close", ("Closing Date",)),
    ("Zoho", "created", ("Created Time",)),
    ("Zoho", "last_activity", ("Last Activity Time",)),
    ("Zoho", "forecast_category", ("Forecast Type",)),
    ("Zoho", "customer", ("Account Name",)),
    ("Zoho", "lost_reason", ("Reason For Loss",)),
    # --- Odoo CRM ---
    ("Odoo", "deal_name", ("Opportunity",)),
    ("Odoo", "owner", ("Salesperson",)),
    ("Odoo", "expected_close", ("Expected Closing",)),
    ("Odoo", "customer", ("Customer",)),
    ("Odoo", "lost_reason", ("Lost Reason",)),
    ("Odoo", "created", ("Created on",)),
    ("Odoo", "last_activity", ("Last Stage Update",)),
    # --- Microsoft Dynamics 365 ---
    ("Dynamics 365", "deal_name", ("Topic",)),
    ("Dynamics 365", "expected_close", ("Est. Close Date", "Estimated Close Date")),
    ("Dynamics 365", "stage", ("Pipeline Phase", "Sales Stage")),
    ("Dynamics 365", "customer", ("Potential Customer",)),
    ("Dynamics 365", "created", ("Created On",)),
    ("Dynamics 365", "deal_id", ("(Do Not Modify) Opportunity",)),
    # --- vtiger ---
    ("vtiger", "deal_name", ("Opportunity Name",)),
    ("vtiger", "stage", ("Sales Stage",)),
    ("vtiger", "expected_close", ("Expected Close Date",)),
    ("vtiger", "owner", ("Assigned To",)),
    ("vtiger", "customer", ("Organization Name", "Related To")),
    ("vtiger", "created", ("Created Time",)),
    ("vtiger", "deal_id", ("Opportunity No",)),
    # --- Chinese CRMs (销售易, 纷享销客, 悟空CRM, 简道云...) ---
    ("Chinese CRMs", "deal_id", ("商机编号", "商机ID", "商机编码", "机会编号", "项目编号", "编号")),
    ("Chinese CRMs", "deal_name", ("商机名称", "机会名称", "项目名称", "商机")),
    ("Chinese CRMs", "stage", ("商机阶段", "销售阶段", "阶段", "跟进阶段", "商机状态")),
    ("Chinese CRMs", "amount", (
        "预计金额", "商机金额", "金额", "预计成交金额", "合同金额", "成交金额", "销售金额",
    )),
    ("Chinese CRMs", "expected_close", (
        "预计成交日期", "预计成交时间", "预计签单日期", "结单日期", "成交日期",
    )),
    ("Chinese CRMs", "owner", (
        "负责人", "销售负责人", "销售", "销售人员", "所有人", "跟进人", "业务员",
    )),
    ("Chinese CRMs", "customer", ("客户名称", "客户", "客户姓名", "公司名称")),
    ("Chinese CRMs", "created", ("创建时间", "创建日期")),
    ("Chinese CRMs", "probability", ("赢率", "赢单率", "赢单概率", "成交概率", "概率")),
    ("Chinese CRMs", "lost_reason", ("输单原因", "丢单原因", "失败原因")),
    ("Chinese CRMs", "last_activity", (
        "最近跟进时间", "最近跟进日期", "最后跟进时间", "最后跟进日期", "最近联系时间",
        "最后联系时间", "上次跟进时间",
    )),
    ("Chinese CRMs", "next_step_date", ("下次跟进时间", "下次联系时间", "下次跟进日期")),
    ("Chinese CRMs", "stage_date", ("阶段变更时间",)),
    ("Chinese CRMs", "contact", ("联系人", "联系人姓名")),
    ("Chinese CRMs", "phone", ("电话", "手机", "联系电话", "手机号")),
    ("Chinese CRMs", "email", ("邮箱", "电子邮件")),
    ("Chinese CRMs", "currency", ("货币", "币种")),
    ("Chinese CRMs", "notes", ("备注",)),
    ("Chinese CRMs", "deal_type", ("商机类型",)),
    ("Chinese CRMs", "lead_source", ("商机来源", "来源")),
    # --- Spanish ---
    ("Spanish", "deal_id", ("ID de la oportunidad", "ID del negocio", "Nº", "Número")),
    ("Spanish", "deal_name", (
        "Oportunidad", "Nombre de la oportunidad", "Negocio", "Nombre del negocio",
    )),
    ("Spanish", "stage", ("Etapa", "Fase", "Estado de la oportunidad")),
    ("Spanish", "amount", ("Monto", "Importe", "Valor", "Monto estimado")),
    ("Spanish", "expected_close", ("Fecha de cierre", "Fecha estimada de cierre", "Fecha cierre")),
    ("Spanish", "owner", ("Responsable", "Vendedor", "Propietario", "Comercial")),
    ("Spanish", "customer", ("Cliente", "Empresa", "Cuenta")),
    ("Spanish", "created", ("Fecha de creación", "Creado")),
    ("Spanish", "probability", ("Probabilidad",)),
    ("Spanish", "lost_reason", ("Motivo de pérdida", "Razón de pérdida")),
    ("Spanish", "currency", ("Moneda", "Divisa")),
    ("Spanish", "contact", ("Contacto",)),
    ("Spanish", "email", ("Correo", "Correo electrónico")),
    ("Spanish", "phone", ("Teléfono",)),
    ("Spanish", "notes", ("Notas",)),
    ("Spanish", "last_activity", ("Última actividad",)),
    # --- German ---
    ("German", "deal_id", ("Nr.", "Deal-Nr.", "Vorgangsnummer", "Chancen-ID")),
    ("German", "deal_name", ("Verkaufschance", "Opportunity-Name", "Titel")),
    ("German", "stage", ("Phase", "Verkaufsphase", "Status der Verkaufschance")),
    ("German", "amount", ("Betrag", "Wert", "Auftragswert", "Volumen", "Umsatz")),
    ("German", "expected_close", (
        "Abschlussdatum", "Voraussichtliches Abschlussdatum", "Erwarteter Abschluss",
    )),
    ("German", "owner", (
        "Verantwortlich", "Verantwortlicher", "Vertriebsmitarbeiter", "Inhaber", "Besitzer",
    )),
    ("German", "customer", ("Kunde", "Firma", "Unternehmen", "Kundenname")),
    ("German", "created", ("Erstellt am", "Erstellungsdatum", "Angelegt am")),
    ("German", "probability", ("Wahrscheinlichkeit", "Abschlusswahrscheinlichkeit")),
    ("German", "lost_reason", ("Verlustgrund", "Grund für Verlust")),
    ("German", "currency", ("Währung",)),
    ("German", "contact", ("Ansprechpartner", "Kontakt")),
    ("German", "email", ("E-Mail-Adresse",)),
    ("German", "phone", ("Telefon",)),
    ("German", "notes", ("Notizen", "Bemerkungen")),
    ("German", "last_activity", ("Letzte Aktivität", "Letzter Kontakt")),
    # --- French ---
    ("French", "deal_id", ("N° d'opportunité", "ID de l'opportunité", "Référence")),
    ("French", "deal_name", ("Nom de l'opportunité", "Affaire", "Opportunité")),
    ("French", "stage", ("Étape", "Phase de vente", "Étape de vente")),
    ("French", "amount", ("Montant", "Valeur", "Montant estimé")),
    ("French", "expected_close", (
        "Date de clôture", "Date de clôture prévue", "Date de signature prévue",
    )),
    ("French", "owner", ("Propriétaire", "Commercial responsable", "Responsable commercial")),
    ("French", "customer", ("Client", "Société", "Compte")),
    ("French", "created", ("Date de création", "Créé le")),
    ("French", "probability", ("Probabilité",)),
    ("French", "lost_reason", ("Raison de la perte", "Motif de perte")),
    ("French", "currency", ("Devise",)),
    ("French", "contact", ("Interlocuteur",)),
    ("French", "phone", ("Téléphone",)),
    ("French", "last_activity", ("Dernière activité",)),
    # --- hand-made trackers (English) ---
    ("trackers", "deal_id", (
        "Deal #", "Deal No", "Deal Number", "Opp ID", "Opportunity Number", "Deal Ref",
        "Reference", "Ref",
    )),
    ("trackers", "deal_name", (
        "Deal", "Project", "Project Name", "Deal Title", "Opportunity Title",
    )),
    ("trackers", "customer", (
        "Client", "Client Name", "Company", "Company Name", "Prospect", "Account Name",
        "Organisation", "Customer", "Customer Name", "Buyer",
    )),
    ("trackers", "stage", ("Status", "Pipeline Stage", "Sales Status", "Phase")),
    ("trackers", "amount", (
        "Deal Size", "Deal Amount", "Contract Value", "Opportunity Amount", "Sales Amount",
        "Total Value",
    )),
    ("trackers", "owner", (
        "Owner", "Rep", "Sales Rep", "Sales Person", "Salesperson", "Account Manager",
        "Account Executive", "AE", "Assigned Rep", "Sales Agent",
    )),
    ("trackers", "expected_close", (
        "Expected Close", "Target Close", "Expected Close Date", "Est. Close", "Closed Date",
        "Close By", "Decision Date",
    )),
    ("trackers", "created", (
        "Created", "Date Created", "Date Added", "Opened", "Open Date", "Created At",
        "Engage Date", "Start Date", "Deal Created Date",
    )),
    ("trackers", "last_activity", (
        "Last Contacted", "Last Touch", "Last Contact Date", "Last Updated",
    )),
    ("trackers", "next_step_date", (
        "Next Step Date", "Next Follow-up", "Follow-up Date", "Next Action Date",
        "Next Step Due Date",
    )),
    ("trackers", "probability", ("Win %", "Chance", "Likelihood", "Confidence")),
    ("trackers", "lost_reason", ("Reason Lost", "Why Lost", "Loss Reason")),
    ("trackers", "contact", ("Contact", "Contact Person", "Point of Contact", "POC")),
    ("trackers", "email", ("Email", "E-mail", "Email Address", "Contact Email")),
    ("trackers", "phone", ("Phone", "Phone Number", "Tel", "Mobile")),
    ("trackers", "notes", ("Notes", "Comments", "Comment", "Remarks")),
    ("trackers", "stage_date", ("Stage Date", "Stage Changed", "Date Entered Stage")),
    ("trackers", "lead_source", ("Source", "Lead Origin")),
)

# Names that mean the field only when no better column is there (``Expected Revenue`` is the
# amount in Odoo and Dynamics, a weighted forecast in Salesforce and Zoho).
WEAK_HEADER_NAMES: dict[str, tuple[str, ...]] = {
    "deal_id": ("Guid", "UUID", "Key", "Code", "No.", "No", "#", "Row ID", "Record", "序号"),
    "amount": (
        "Expected Revenue", "ExpectedRevenue", "Est. Revenue", "Estimated Revenue", "Revenue",
        "预期收入", "预计收入", "收入", "Total", "Deal Revenue", "Weighted Amount",
        "Quantity × Price",
    ),
    "owner": ("Owner Id", "Manager", "Created By", "User"),
    "customer": ("Account Id", "Company Domain", "Associated Company Domain"),
    "created": ("Date", "Fecha", "Datum", "日期"),
}

# Generic words before a field name that a header may carry: "Deal Stage", "Opportunity
# Owner", "商机金额". Dropping them is a second chance, weaker than a listed name.
FIELD_PREFIXES: tuple[str, ...] = (
    "deal", "deals", "opportunity", "opp", "potential", "sales", "商机", "机会", "销售",
)

# Words in a header that hint at a date field when nothing else matches (tokens after splitting).
DATE_HINTS: dict[str, tuple[str, ...]] = {
    "expected_close": (
        "close", "closing", "closed", "cierre", "abschluss", "clôture", "cloture", "成交", "结单",
        "签单", "expected",
    ),
    "created": (
        "create", "created", "creation", "creación", "erstellt", "création", "创建", "engage",
        "opened", "added",
    ),
    "last_activity": (
        "activity", "contacted", "actividad", "aktivität", "activité", "跟进", "touch", "modified",
    ),
    "stage_date": ("stage", "phase", "etapa", "étape", "阶段"),
    "next_step_date": ("next", "siguiente", "nächste", "prochaine", "下次", "下一步"),
}

DATE_WORDS: tuple[str, ...] = (
    "date", "time", "day", "on", "fecha", "datum", "日期", "时间", "日", "at",
)

# Words in a header that hint at a money figure or at the person responsible.
MONEY_HINTS: tuple[str, ...] = (
    "amount", "value", "revenue", "monto", "importe", "betrag", "wert", "montant", "valeur",
    "金额", "收入",
)

OWNER_HINTS: tuple[str, ...] = (
    "owner", "rep", "agent", "salesperson", "vendedor", "responsable", "verantwortlich",
    "propriétaire", "负责人", "销售",
)

# --- stages ----------------------------------------------------------------------------
# The usual stage names of CRMs and trackers, by step of a generic sales process. A step is
# mapped to a profile's stage by STEP_TARGETS (first id the profile has).
STEP_WORDS: dict[str, tuple[str, ...]] = {
    "research": (
        "Research", "Market Research", "市场调研", "调研", "Investigación", "Marktforschung",
        "Recherche",
    ),
    "lead": (
        "Prospecting", "Prospect", "Lead", "Leads", "New", "New Lead", "Open",
        "Appointment Scheduled", "Discovery", "Initial Contact", "Contacted", "Cold",
        "Attempted to Contact", "Interes", "Interés", "Interest", "Prospección", "Prospecto",
        "Nuevo", "Neu", "Erstkontakt", "Interessent", "Nouveau", "Prospection", "线索", "潜在客户",
        "初步接触", "客户开发", "初次接触", "新建", "Sales Lead", "1-Qualify", "初步接洽",
        "初步沟通", "首次拜访",
    ),
    "opportunity": (
        "Qualification", "Qualified", "Qualify", "Qualified To Buy", "Needs Analysis",
        "Value Proposition", "Id. Decision Makers", "Identify Decision Makers", "Sales Qualified",
        "SQL", "Calificación", "Cualificación", "Calificado", "Análisis de necesidades",
        "Diseño Propuesta", "Qualifiziert", "Qualifizierung", "Bedarfsanalyse", "Qualifié",
        "Qualification du besoin", "需求分析", "意向", "商机确认", "销售机会", "需求确认", "机会",
    ),
    "follow_up": (
        "Presentation Scheduled", "Presentation", "Demo", "Demo Scheduled", "Perception Analysis",
        "Decision Maker Bought-In", "Engaging", "Engaged", "Follow Up", "Follow-up", "In Progress",
        "Meeting", "Meeting Scheduled", "Develop", "2-Develop", "Evaluation", "Solution",
        "Presentación", "Presentación Propuesta", "Demostración", "Seguimiento", "Präsentation",
        "Nachfassen", "Présentation", "Démonstration", "Relance", "客户跟进", "跟进", "跟进中",
        "方案", "方案演示", "演示", "沟通",
    ),
    "negotiation": (
        "Proposal", "Price Quote", "Proposal/Price Quote", "Negotiation", "Negotiation/Review",
        "Review", "Contract Sent", "Quote", "Quotation", "Proposing", "Negotiating",
        "Proposal Sent", "Quote Sent", "Propose", "3-Propose", "Close", "4-Close", "Commit",
        "Initial Offer", "Offer", "Verbal", "Pending Signature", "Propuesta", "Cotización",
        "Negociación", "Firmas", "Oferta", "Angebot", "Verhandlung", "Vertrag versendet",
        "Proposition", "Négociation", "Devis", "Offre", "报价", "谈判", "报价与谈判", "商务谈判",
        "方案报价", "合同审批",
    ),
    "won": (
        "Closed Won", "Won", "Closed Won Booked", "Closed Won Pending", "Closed-Won", "Deal Won",
        "Booked", "Signed", "Contract Signed", "Gewonnen", "Ganada", "Ganado", "Cerrada Ganada",
        "Cerrado Ganado", "Gagné", "Gagnée", "赢单", "成交", "已成交", "签约", "已签约",
        "合同签订", "Abgeschlossen gewonnen",
    ),
    "delivery": (
        "Delivered", "Delivery", "Implementation", "Onboarding", "After-sales", "Invoiced", "Paid",
        "交付", "已交付", "售后", "交付与售后", "回款", "Entregado", "Geliefert", "Livré",
    ),
    "lost": (
        "Closed Lost", "Lost", "Closed-Lost", "Deal Lost", "Dead", "Disqualified", "Unqualified",
        "Not Qualified", "Cancelled", "Canceled", "Rejected", "No Decision", "Descartada",
        "Descartado", "Perdida", "Perdido", "Cerrada Perdida", "Verloren", "Abgesagt", "Perdu",
        "Perdue", "输单", "丢单", "已输单", "失败", "无效", "Closed Lost to Competition",
    ),
}

# Word stems that place a stage name the lists above miss ("Closed Won - Paid", "Lost (price)").
STEP_STEMS: tuple[tuple[str, str], ...] = (
    ("disqualif", "lost"), ("won", "won"), ("ganad", "won"), ("gewonnen", "won"), ("gagn", "won"),
    ("赢", "won"), ("签约", "won"), ("lost", "lost"), ("perdid", "lost"), ("verlor", "lost"),
    ("perdu", "lost"), ("输", "lost"), ("丢", "lost"), ("negoti", "negotiation"),
    ("propos", "negotiation"), ("quot", "negotiation"), ("contract", "negotiation"),
    ("报价", "negotiation"), ("谈判", "negotiation"), ("qualif", "opportunity"),
    ("需求", "opportunity"), ("demo", "follow_up"), ("present", "follow_up"),
    ("meeting", "follow_up"), ("跟进", "follow_up"), ("prospect", "lead"), ("lead", "lead"),
    ("discover", "lead"), ("线索", "lead"),
)

# Which profile stage a step goes to: the first of these ids the profile has (b2b, b2c, lite).
STEP_TARGETS: dict[str, tuple[str, ...]] = {
    "research": ("research", "lead"),
    "lead": ("lead",),
    "opportunity": ("opportunity", "interested", "talking"),
    "follow_up": ("follow_up", "interested", "talking"),
    "negotiation": ("negotiation", "order", "quoted"),
    "won": ("contract", "paid", "won"),
    "delivery": ("delivery", "paid", "won"),
    "lost": ("lost",),
}

STEP_OUTCOME = {"won": "won", "delivery": "won", "lost": "lost"}  # others: open
STEP_ORDER = ("research", "lead", "opportunity", "follow_up", "negotiation", "won", "delivery")

# --- values ----------------------------------------------------------------------------
# Texts that mean "no value" in any column (compared casefolded, spaces stripped).
NULL_MARKERS: tuple[str, ...] = (
    "na", "n/a", "n.a.", "#n/a", "\\n", "null", "none", "nil", "nan", "-", "--", "—", "–", "tbd",
    "tba", "?", "无", "暂无", "待定", "空", "未知", "(blank)", "(empty)", "s/d", "sin dato",
    "k.a.", "k. a.", "n.v.", "000000000000000aaa",
)

# Placeholders for a missing person; reported per column (they are a value in some sheets).
UNASSIGNED_MARKERS: tuple[str, ...] = (
    "unassigned", "未分配", "sin asignar", "nicht zugewiesen",
)

BOOLEAN_PAIRS: tuple[tuple[str, str], ...] = (
    ("true", "false"), ("yes", "no"), ("y", "n"), ("1", "0"), ("si", "no"), ("sí", "no"),
    ("是", "否"), ("ja", "nein"), ("oui", "non"), ("wahr", "falsch"), ("verdadero", "falso"),
    ("x", ""),
)

# Salesforce record-id prefixes (first three characters) of the objects a sheet may hold.
SALESFORCE_PREFIXES: dict[str, str] = {
    "006": "Opportunity",
    "001": "Account",
    "003": "Contact",
    "005": "User",
    "00Q": "Lead",
    "701": "Campaign",
    "01s": "Pricebook",
    "0Q0": "Quote",
    "800": "Contract",
    "0MI": "Territory",
}

# Header words by language, for the locale guess (besides CJK characters).
LANGUAGE_WORDS: dict[str, tuple[str, ...]] = {
    "de": (
        "betrag", "abschlussdatum", "verantwortlich", "kunde", "wert", "datum", "währung",
        "wahrscheinlichkeit", "erstellt", "verkaufschance", "firma", "notizen",
    ),
    "es": (
        "etapa", "monto", "importe", "fecha", "cierre", "cliente", "moneda", "probabilidad",
        "oportunidad", "negocio", "empresa", "vendedor", "sin_factura",
    ),
    "fr": (
        "étape", "montant", "clôture", "propriétaire", "devise", "probabilité", "affaire",
        "société", "opportunité",
    ),
}

LOCALE_OF_LANGUAGE = {"zh": "zh_CN", "de": "de_DE", "es": "es_ES", "fr": "fr_FR", "en": "en_US"}
LANGUAGE_NAMES = {"en": "English", "de": "German", "es": "Spanish", "fr": "French", "zh": "Chinese"}

# fmt: on
