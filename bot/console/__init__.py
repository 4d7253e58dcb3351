"""The web console: the incidents (closed ones too), one incident's whole story, and the
review, read in a browser behind Sign in with Slack. It only reads."""
