$ErrorActionPreference = 'Stop'
$lines = @($input)
& ([ScriptBlock]::Create((@($lines | Select-Object -Skip 1) -join "`n"))) $lines[0]
