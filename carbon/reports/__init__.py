"""Reports people send on (报告): the enterprise carbon report a bank reads for a green loan and the
bureau's monthly brief, as PDF (fpdf2 + matplotlib charts, CJK font embedded) and XLSX (openpyxl).

Figures come from the console's queries (``carbon.console.queries``) on the marts: one source per
figure, so a report shows the same numbers as the console pages.
"""
