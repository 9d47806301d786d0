$ErrorActionPreference = 'Stop'
$lines = @($input)
$problem = $null
if ($PSVersionTable.PSVersion.Major -lt 3) {
    $problem = 'Windows PowerShell ' + $PSVersionTable.PSVersion + ' (3.0 or later is needed)'
} elseif ($ExecutionContext.SessionState.LanguageMode -ne 'FullLanguage') {
    $problem = 'PowerShell in ' + $ExecutionContext.SessionState.LanguageMode + ' mode (FullLanguage is needed)'
}
if ($null -ne $problem) {
    '{"agent":"multipoint.wms","protocol":1,"action":null,"ok":false,"error":{"kind":"unsupported_host","type":"System.NotSupportedException","message":"' + $problem + '","category":null,"fqid":null,"win32":null},"host":{"computer":"","ps_version":"' + $PSVersionTable.PSVersion + '","os_version":"","elevated":null},"generation":null,"module":null,"backend":null,"sessions":[],"results":[],"after":[],"diagnostics":null,"elapsed_ms":0}'
} else {
    & ([ScriptBlock]::Create((@($lines | Select-Object -Skip 1) -join "`n"))) $lines[0]
}
