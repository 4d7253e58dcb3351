"""Serious incidents under a reporting regime (the EU AI Act's Article 73): regimes as
data, the assessment, the reporting clock, the report to the authority, the evidence
preserved before a change, and the timeline's hash chain."""
