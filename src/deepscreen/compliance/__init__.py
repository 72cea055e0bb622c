"""EU DSA compliance: statements of reasons (mapping, codes, validation), the restrictions they
report, and the transparency-report sheets. Pure; the service reads the stores and writes files."""
