"""Form submissions (Bolt's ``view_submission``): refuse beside the field within the
acknowledgement, or acknowledge and hand the work on."""
