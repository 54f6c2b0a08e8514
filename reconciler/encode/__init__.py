"""One encoder per output medium: text from a config or a server is made inert for the medium it goes to.

A reviewer reads a plan in a terminal, a CI log, a pull-request comment, a Slack message or a JSONL audit
file. Each medium has its own markup, and text that a pull request or a server chose must not use it: a
newline that forges a plan line, a ``::add-mask::`` that GitHub Actions obeys, a ``<!--`` that hides rows of a
comment, a ``<!channel>`` that pages a whole workspace. Every output path passes such text through the encoder
of its medium (``terminal``, ``actions``, ``markdown``, ``slack``, ``jsonl``, ``html``); the property tests in
``tests/encode`` prove, over arbitrary strings, that nothing gets through.
"""
