"""pscheck: static checks of the PowerShell agent, without PowerShell.

There is no PowerShell on the machines that build and test this collection, and the agent's real
targets are Windows PowerShell 3.0 to 5.1. ``tree`` reads a script with tree-sitter-powershell,
``cmdlets`` holds the documented parameters of every MultiPoint cmdlet of both generations, and
``checks`` finds the kinds of defect a careful reviewer looks for. ``tests/static`` applies the
checks to the shipped agent; ``test_checks.py`` here proves that each check can fail.
"""
