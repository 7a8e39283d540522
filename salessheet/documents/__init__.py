"""Quotes and contracts: line items, exact money, numbering, register, HTML/DOCX/PDF output."""
