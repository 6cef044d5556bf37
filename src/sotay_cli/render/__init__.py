"""Everything users read: terminal tables, CSV/JSON, the XLSX appendix, the Markdown and DOCX drafts."""
