# multipoint.wms agent: the host side of docs/agent-protocol.md (protocol 1).
#
# The controller decides; this script only reads sessions, disconnects sessions and sends
# messages, then writes one JSON document on one line of output. The bootstrap
# (wms_bootstrap.ps1) passes the request JSON line as the only argument.
#
# Rules this file keeps (tests/static/test_agent_script.py and tests/pscheck check most of them):
# - Windows PowerShell 3.0 (MultiPoint Server 2012) to 5.1 (Server 2016), FullLanguage mode:
#   no classes, no ::new(), no using, no .Where()/.ForEach(), no PS 4+ cmdlets or parameters.
#   ASCII-only source.
# - The request is data. It is parsed and checked in Read-AgentRequest only, which returns typed
#   values; nothing builds code or command names from it.
# - MultiPoint cmdlets are called only inside functions named for their generation (...2012,
#   ...2016), with the parameters that generation documents, in a runspace of their own with a
#   time limit, so a hanging cmdlet is abandoned instead of hanging the agent.
# - Connect states always come from the WTS API, never from Get-WmsSession or qwinsta text.
# - Whatever happens, exactly one response line is written and the script ends normally.
param([string]$RequestJson)

Set-StrictMode -Version 2.0
$ErrorActionPreference = 'Stop'
# Progress records would reach stderr as CLIXML over WinRM.
$ProgressPreference = 'SilentlyContinue'

$AgentClock = [System.Diagnostics.Stopwatch]::StartNew()
# WTS_CONNECTSTATE_CLASS values 0..9, by name (protocol section 4).
$ConnectStates = @('Active', 'Connected', 'ConnectQuery', 'Shadow', 'Disconnected', 'Idle', 'Listen', 'Reset', 'Down', 'Init')
# Marks exceptions the agent raises itself with their Error kind, category and error id.
$KindKey = 'multipoint.wms.kind'
$CategoryKey = 'multipoint.wms.category'
$FqidKey = 'multipoint.wms.fqid'
# Time limit for MultiPoint calls that only read (Import-Module, Get-WmsSession). The protocol
# gives no deadline for them; this keeps a hung MultiPoint service from hanging the agent.
$WmsReadLimitMs = 30000
# How long after the time left a MultiPoint 2012 call is abandoned (its -TimeoutInSecond is that
# time left, rounded up): the small fixed overhead a disconnect request may take past its timeout.
$AbandonGraceMs = 2000
# Per-run state: the P/Invoke type and the local Administrators members, read once.
$AgentState = @{ wts = $null; admin_read = $false; admins = $null }
# How many groups nested in Administrators are expanded at most (a loop or a huge tree stops here,
# and the administrator status of users not found is then unknown).
$AdminGroupLimit = 200

# ---------------------------------------------------------------------------------------------
# Records written to the response (only [ordered] dictionaries are written; see Add-JsonValue)

function New-AgentError {
    param([string]$Kind, [string]$Type, [string]$Message, $Category, $Fqid, $NativeCode)
    return [ordered]@{ kind = $Kind; type = $Type; message = $Message; category = $Category; fqid = $Fqid; win32 = $NativeCode }
}

function New-SessionRecord {
    param([long]$Id, [string]$User, [string]$Domain, $Station, [string]$Client, $IsAdmin,
        [string]$ConnectState, $WmsState, [bool]$WmsListed, [string]$WinStation)
    return [ordered]@{
        id = $Id; user = $User; domain = $Domain; station = $Station; client = $Client
        is_admin = $IsAdmin; connect_state = $ConnectState; wms_state = $WmsState
        wms_listed = $WmsListed; win_station = $WinStation
    }
}

function New-ResultRecord {
    param([long]$Id, [string]$Action, $Reason, [bool]$WhatIf)
    return [ordered]@{ id = $Id; action = $Action; reason = $Reason; what_if = $WhatIf; error = $null; response = $null }
}

function New-ModuleRecord {
    param([string]$Name, [string]$Version)
    return [ordered]@{ name = $Name; version = $Version }
}

function Get-HostInfo {
    $elevated = $null
    try {
        $identity = [System.Security.Principal.WindowsIdentity]::GetCurrent()
        $principal = New-Object -TypeName System.Security.Principal.WindowsPrincipal -ArgumentList $identity
        $elevated = [bool]$principal.IsInRole([System.Security.Principal.WindowsBuiltInRole]::Administrator)
    } catch {
        $elevated = $null
    }
    return [ordered]@{
        computer = [string]$env:COMPUTERNAME
        ps_version = [string]$PSVersionTable.PSVersion
        os_version = [string][System.Environment]::OSVersion.Version
        elevated = $elevated
    }
}

function New-AgentResponse {
    return [ordered]@{
        agent = 'multipoint.wms'; protocol = 1; action = $null; ok = $true; error = $null
        host = (Get-HostInfo); generation = $null; module = $null; backend = $null
        sessions = @(); results = @(); after = @(); diagnostics = $null; elapsed_ms = 0
    }
}

# ---------------------------------------------------------------------------------------------
# Errors

function Set-AgentMark {
    # Marks an exception the agent raises itself with its Error kind and the category (and error
    # id) PowerShell gives such an error. ConvertTo-AgentError reports those instead of what
    # PowerShell's throw statement makes up (OperationStopped, the message as the id).
    param([System.Exception]$Exception, [string]$Kind, $Category, $Fqid)
    $Exception.Data[$KindKey] = $Kind
    $Exception.Data[$CategoryKey] = $Category
    $Exception.Data[$FqidKey] = $Fqid
    return $Exception
}

function Stop-Agent {
    # Fails the request with kind bad_request, module_missing or unsupported_module.
    param([string]$Kind, [string]$Message)
    if ($Kind -eq 'module_missing') {
        $exception = New-Object -TypeName System.Management.Automation.CommandNotFoundException -ArgumentList $Message
        throw (Set-AgentMark -Exception $exception -Kind $Kind -Category 'ObjectNotFound' -Fqid 'CommandNotFoundException')
    }
    if ($Kind -eq 'unsupported_module') {
        $exception = New-Object -TypeName System.NotSupportedException -ArgumentList $Message
        throw (Set-AgentMark -Exception $exception -Kind $Kind -Category $null -Fqid $null)
    }
    $exception = New-Object -TypeName System.ArgumentException -ArgumentList $Message
    throw (Set-AgentMark -Exception $exception -Kind $Kind -Category 'InvalidArgument' -Fqid $null)
}

function New-Win32Exception {
    param([int]$Code, [string]$Function)
    $plain = New-Object -TypeName System.ComponentModel.Win32Exception -ArgumentList $Code
    $exception = New-Object -TypeName System.ComponentModel.Win32Exception -ArgumentList $Code, ($Function + ': ' + $plain.Message)
    return (Set-AgentMark -Exception $exception -Kind 'exception' -Category 'NotSpecified' -Fqid $null)
}

function New-TimeoutException {
    param([string]$Message)
    $exception = New-Object -TypeName System.TimeoutException -ArgumentList $Message
    return (Set-AgentMark -Exception $exception -Kind 'exception' -Category 'OperationTimeout' -Fqid $null)
}

function New-InvalidOperation {
    param([string]$Message)
    $exception = New-Object -TypeName System.InvalidOperationException -ArgumentList $Message
    return (Set-AgentMark -Exception $exception -Kind 'exception' -Category 'InvalidOperation' -Fqid $null)
}

function Resolve-ErrorRecord {
    # PowerShell wraps exceptions of .NET method calls in MethodInvocationException; the record
    # that matters (category, id, target) is the one inside, when there is one.
    param([System.Management.Automation.ErrorRecord]$Record)
    $exception = $Record.Exception
    while ($exception -is [System.Management.Automation.MethodInvocationException] -and $null -ne $exception.InnerException) {
        $exception = $exception.InnerException
    }
    if (-not [object]::ReferenceEquals($exception, $Record.Exception) -and $exception -is [System.Management.Automation.IContainsErrorRecord]) {
        $inner = $exception.ErrorRecord
        if ($null -ne $inner) {
            return $inner
        }
    }
    return $Record
}

function ConvertTo-AgentError {
    # Describes an ErrorRecord as the protocol's Error object. It does not interpret the error.
    param([System.Management.Automation.ErrorRecord]$Record)
    $Record = Resolve-ErrorRecord -Record $Record
    $exception = $Record.Exception
    while ($exception -is [System.Management.Automation.MethodInvocationException] -and $null -ne $exception.InnerException) {
        $exception = $exception.InnerException
    }
    $win32 = $null
    if ($exception -is [System.ComponentModel.Win32Exception]) {
        $win32 = [int]$exception.NativeErrorCode
    }
    if ($exception.Data.Contains($KindKey)) {
        return New-AgentError -Kind ([string]$exception.Data[$KindKey]) -Type ($exception.GetType().FullName) -Message $exception.Message -Category $exception.Data[$CategoryKey] -Fqid $exception.Data[$FqidKey] -NativeCode $win32
    }
    $category = $null
    if ($null -ne $Record.CategoryInfo) {
        $category = [string]$Record.CategoryInfo.Category
    }
    $fqid = $null
    if (-not [string]::IsNullOrEmpty($Record.FullyQualifiedErrorId)) {
        $fqid = [string]$Record.FullyQualifiedErrorId
    }
    return New-AgentError -Kind 'exception' -Type ($exception.GetType().FullName) -Message $exception.Message -Category $category -Fqid $fqid -NativeCode $win32
}

function New-TimeoutError {
    param([string]$Message)
    return New-AgentError -Kind 'exception' -Type 'System.TimeoutException' -Message $Message -Category 'OperationTimeout' -Fqid $null -NativeCode $null
}

# ---------------------------------------------------------------------------------------------
# The request: the only place that reads it (protocol section 2)

function Test-IntegerValue {
    param($Value)
    return ($Value -is [int] -or $Value -is [long] -or $Value -is [uint32] -or $Value -is [int16] -or
        $Value -is [uint16] -or $Value -is [byte] -or $Value -is [sbyte] -or $Value -is [uint64])
}

function Read-JsonInteger {
    param($Value, [string]$Key, [long]$Minimum, [long]$Maximum)
    # ConvertFrom-Json gives Int32, Int64, Decimal or Double; 5.0 is an integer in JSON Schema.
    $isNumber = (Test-IntegerValue -Value $Value) -or $Value -is [decimal] -or $Value -is [double]
    if (-not $isNumber) {
        Stop-Agent -Kind 'bad_request' -Message ($Key + ' must be an integer')
    }
    if ($Value -lt $Minimum -or $Value -gt $Maximum -or ($Value % 1) -ne 0) {
        Stop-Agent -Kind 'bad_request' -Message ($Key + ' must be an integer from ' + $Minimum + ' to ' + $Maximum)
    }
    return [long]$Value
}

function Read-JsonChoice {
    param($Value, [string]$Key, [string[]]$Choices)
    if ($Value -isnot [string] -or $Choices -cnotcontains $Value) {
        Stop-Agent -Kind 'bad_request' -Message ($Key + ' must be one of: ' + ($Choices -join ', '))
    }
    return [string]$Value
}

function Read-JsonString {
    param($Value, [string]$Key)
    if ($Value -isnot [string]) {
        Stop-Agent -Kind 'bad_request' -Message ($Key + ' must be a string')
    }
    return [string]$Value
}

function Read-JsonBoolean {
    param($Value, [string]$Key)
    if ($Value -isnot [bool]) {
        Stop-Agent -Kind 'bad_request' -Message ($Key + ' must be true or false')
    }
    return [bool]$Value
}

function Read-JsonIdList {
    param($Value)
    if ($Value -isnot [System.Array] -or $Value.Length -eq 0) {
        Stop-Agent -Kind 'bad_request' -Message 'ids must be a non-empty array of integers'
    }
    $ids = New-Object -TypeName 'System.Collections.Generic.List[long]'
    foreach ($item in $Value) {
        $ids.Add((Read-JsonInteger -Value $item -Key 'ids' -Minimum 1 -Maximum 2147483647))
    }
    return ,$ids
}

function Read-JsonStateList {
    param($Value)
    if ($Value -isnot [System.Array] -or $Value.Length -eq 0) {
        Stop-Agent -Kind 'bad_request' -Message 'act_states must be a non-empty array of connect state names'
    }
    $states = New-Object -TypeName 'System.Collections.Generic.List[string]'
    foreach ($item in $Value) {
        $states.Add((Read-JsonChoice -Value $item -Key 'act_states' -Choices $ConnectStates))
    }
    return ,$states
}

function Read-JsonAccountList {
    # One account (DOMAIN\user, or user) per requested id, in the order of the ids.
    param($Value, [int]$Count)
    if ($Value -isnot [System.Array] -or $Value.Length -ne $Count) {
        Stop-Agent -Kind 'bad_request' -Message 'accounts must be an array of strings, one per id'
    }
    $accounts = New-Object -TypeName 'System.Collections.Generic.List[string]'
    foreach ($item in $Value) {
        $accounts.Add((Read-JsonString -Value $item -Key 'accounts'))
    }
    return ,$accounts
}

function Read-AgentRequest {
    # Parses and checks the request line; returns a new hashtable of typed values. Nothing else
    # in the agent sees the parsed object. Seen['action'] gets a valid action as soon as it is
    # read, so a response to an otherwise bad request still names it.
    param([string]$Json, [hashtable]$Seen)
    if ([string]::IsNullOrEmpty($Json) -or $Json.Trim().Length -eq 0) {
        Stop-Agent -Kind 'bad_request' -Message 'the request line is empty'
    }
    $parsed = $null
    try {
        $parsed = ConvertFrom-Json -InputObject $Json
    } catch {
        Stop-Agent -Kind 'bad_request' -Message ('the request is not valid JSON: ' + $_.Exception.Message)
    }
    if ($null -eq $parsed -or $parsed -isnot [System.Management.Automation.PSCustomObject]) {
        Stop-Agent -Kind 'bad_request' -Message 'the request is not a JSON object'
    }
    $known = @('protocol', 'action', 'backend', 'ids', 'accounts', 'act_states', 'timeout', 'what_if', 'diagnose', 'poll_ms', 'title', 'text', 'display_seconds')
    $raw = @{}
    $unknown = New-Object -TypeName 'System.Collections.Generic.List[string]'
    foreach ($property in $parsed.PSObject.Properties) {
        # Key names are compared case-sensitively, as JSON does.
        if ($known -ccontains $property.Name) {
            $raw[$property.Name] = $property.Value
        } else {
            $unknown.Add($property.Name)
        }
    }
    if ($raw.ContainsKey('action')) {
        try {
            $Seen['action'] = Read-JsonChoice -Value $raw['action'] -Key 'action' -Choices @('inventory', 'disconnect', 'message')
        } catch {
            $Seen['action'] = $null
        }
    }
    if ($unknown.Count -gt 0) {
        Stop-Agent -Kind 'bad_request' -Message ('unknown key: ' + ($unknown -join ', '))
    }
    foreach ($key in @('protocol', 'action', 'backend')) {
        if (-not $raw.ContainsKey($key)) {
            Stop-Agent -Kind 'bad_request' -Message ('missing key: ' + $key)
        }
    }
    $null = Read-JsonInteger -Value $raw['protocol'] -Key 'protocol' -Minimum 1 -Maximum 1
    $action = Read-JsonChoice -Value $raw['action'] -Key 'action' -Choices @('inventory', 'disconnect', 'message')
    $backend = Read-JsonChoice -Value $raw['backend'] -Key 'backend' -Choices @('auto', 'multipoint', 'wts')

    $required = @()
    $optional = @()
    if ($action -eq 'inventory') {
        $optional = @('diagnose')
    } elseif ($action -eq 'disconnect') {
        $required = @('ids', 'act_states', 'timeout', 'what_if')
        $optional = @('accounts', 'poll_ms')
    } elseif ($action -eq 'message') {
        $required = @('ids', 'act_states', 'title', 'text', 'display_seconds')
        $optional = @('accounts')
    }
    foreach ($key in $raw.Keys) {
        if (@('protocol', 'action', 'backend') -cnotcontains $key -and $required -cnotcontains $key -and $optional -cnotcontains $key) {
            Stop-Agent -Kind 'bad_request' -Message ('key ' + $key + ' is not used by action ' + $action)
        }
    }
    foreach ($key in $required) {
        if (-not $raw.ContainsKey($key)) {
            Stop-Agent -Kind 'bad_request' -Message ('missing key for action ' + $action + ': ' + $key)
        }
    }

    $request = @{
        action = $action; backend = $backend
        ids = (New-Object -TypeName 'System.Collections.Generic.List[long]')
        accounts = $null
        act_states = (New-Object -TypeName 'System.Collections.Generic.List[string]')
        timeout = 0; what_if = $false; diagnose = $false; poll_ms = 250; title = ''; text = ''; display_seconds = 0
    }
    if ($raw.ContainsKey('ids')) { $request['ids'] = Read-JsonIdList -Value $raw['ids'] }
    if ($raw.ContainsKey('accounts')) { $request['accounts'] = Read-JsonAccountList -Value $raw['accounts'] -Count $request['ids'].Count }
    if ($raw.ContainsKey('act_states')) { $request['act_states'] = Read-JsonStateList -Value $raw['act_states'] }
    if ($raw.ContainsKey('timeout')) { $request['timeout'] = [int](Read-JsonInteger -Value $raw['timeout'] -Key 'timeout' -Minimum 1 -Maximum 3600) }
    if ($raw.ContainsKey('what_if')) { $request['what_if'] = Read-JsonBoolean -Value $raw['what_if'] -Key 'what_if' }
    if ($raw.ContainsKey('diagnose')) { $request['diagnose'] = Read-JsonBoolean -Value $raw['diagnose'] -Key 'diagnose' }
    if ($raw.ContainsKey('poll_ms')) { $request['poll_ms'] = [int](Read-JsonInteger -Value $raw['poll_ms'] -Key 'poll_ms' -Minimum 50 -Maximum 5000) }
    if ($raw.ContainsKey('title')) { $request['title'] = Read-JsonString -Value $raw['title'] -Key 'title' }
    if ($raw.ContainsKey('text')) { $request['text'] = Read-JsonString -Value $raw['text'] -Key 'text' }
    if ($raw.ContainsKey('display_seconds')) { $request['display_seconds'] = [int](Read-JsonInteger -Value $raw['display_seconds'] -Key 'display_seconds' -Minimum 0 -Maximum 86400) }
    return $request
}

# ---------------------------------------------------------------------------------------------
# JSON output. ConvertTo-Json is not used: on Windows PowerShell it writes enums as numbers,
# unwraps one-item arrays, cuts nesting at -Depth 2 by default, and 3.0 differs from 5.1 again.
# This writer knows the protocol's shapes: [ordered] dictionaries, lists, strings, integers,
# booleans and null. Every character outside printable ASCII is written as \uXXXX.

function Add-JsonString {
    param([System.Text.StringBuilder]$Builder, [string]$Text)
    [void]$Builder.Append('"')
    if ($Text -cnotmatch '[^\x20\x21\x23-\x5B\x5D-\x7E]') {
        # Nothing to escape (the usual case): no per-character loop.
        [void]$Builder.Append($Text).Append('"')
        return
    }
    foreach ($character in $Text.ToCharArray()) {
        $code = [int]$character
        if ($code -eq 34) {
            [void]$Builder.Append('\"')
        } elseif ($code -eq 92) {
            [void]$Builder.Append('\\')
        } elseif ($code -lt 32 -or $code -gt 126) {
            [void]$Builder.Append('\u').Append($code.ToString('x4'))
        } else {
            [void]$Builder.Append($character)
        }
    }
    [void]$Builder.Append('"')
}

function Add-JsonValue {
    param([System.Text.StringBuilder]$Builder, $Value)
    if ($null -eq $Value) {
        [void]$Builder.Append('null')
    } elseif ($Value -is [string]) {
        Add-JsonString -Builder $Builder -Text $Value
    } elseif ($Value -is [bool]) {
        if ($Value) { [void]$Builder.Append('true') } else { [void]$Builder.Append('false') }
    } elseif (Test-IntegerValue -Value $Value) {
        [void]$Builder.Append([System.Convert]::ToString($Value, [System.Globalization.CultureInfo]::InvariantCulture))
    } elseif ($Value -is [System.Collections.Specialized.OrderedDictionary]) {
        [void]$Builder.Append('{')
        $first = $true
        foreach ($key in $Value.Keys) {
            if (-not $first) { [void]$Builder.Append(',') }
            $first = $false
            Add-JsonString -Builder $Builder -Text ([string]$key)
            [void]$Builder.Append(':')
            Add-JsonValue -Builder $Builder -Value $Value[$key]
        }
        [void]$Builder.Append('}')
    } elseif ($Value -is [System.Collections.IList]) {
        [void]$Builder.Append('[')
        $first = $true
        foreach ($item in $Value) {
            if (-not $first) { [void]$Builder.Append(',') }
            $first = $false
            Add-JsonValue -Builder $Builder -Value $item
        }
        [void]$Builder.Append(']')
    } elseif ($Value -is [System.Enum]) {
        Add-JsonString -Builder $Builder -Text ($Value.ToString())
    } else {
        throw (New-InvalidOperation -Message ('no JSON form for ' + $Value.GetType().FullName))
    }
}

function ConvertTo-AgentJson {
    param($Value)
    $builder = New-Object -TypeName System.Text.StringBuilder
    Add-JsonValue -Builder $builder -Value $Value
    return $builder.ToString()
}

# ---------------------------------------------------------------------------------------------
# WTS API through P/Invoke.
#
# Why not Add-Type: compiling C# with Add-Type starts csc.exe, which costs about 0.5-1 s in every
# PowerShell process on Windows, paid on every task on every host. (That figure comes from
# documented experience with Windows PowerShell; it was not measured here, where there is no
# Windows.) System.Reflection.Emit defines the same P/Invoke methods in memory in milliseconds.
# A process may run the agent more than once (psrp reuses runspaces), so an existing type is
# reused instead of being defined twice. The name carries a version: change it when a
# signature changes.

function Add-WtsImport {
    param([System.Reflection.Emit.TypeBuilder]$TypeBuilder, [string]$Name, [type]$ReturnType, [type[]]$ParameterTypes)
    $attributes = [System.Reflection.MethodAttributes]'Public, Static, HideBySig, PinvokeImpl'
    $method = $TypeBuilder.DefineMethod($Name, $attributes, $ReturnType, $ParameterTypes)
    for ($index = 0; $index -lt $ParameterTypes.Length; $index++) {
        if ($ParameterTypes[$index].IsByRef) {
            [void]$method.DefineParameter($index + 1, [System.Reflection.ParameterAttributes]::Out, ('value' + $index))
        }
    }
    $method.SetImplementationFlags([System.Reflection.MethodImplAttributes]::PreserveSig)
    # [DllImport("wtsapi32.dll", EntryPoint = Name, SetLastError = true, CharSet = Unicode, ExactSpelling = true)]
    $dllImport = [System.Runtime.InteropServices.DllImportAttribute]
    $constructor = $dllImport.GetConstructor([type[]]@([string]))
    $fields = [System.Reflection.FieldInfo[]]@(
        $dllImport.GetField('EntryPoint'), $dllImport.GetField('SetLastError'),
        $dllImport.GetField('CharSet'), $dllImport.GetField('ExactSpelling'))
    $values = [object[]]@($Name, $true, [System.Runtime.InteropServices.CharSet]::Unicode, $true)
    $attribute = New-Object -TypeName System.Reflection.Emit.CustomAttributeBuilder -ArgumentList $constructor, ([object[]]@('wtsapi32.dll')), $fields, $values
    $method.SetCustomAttribute($attribute)
}

function Get-WtsApi {
    if ($null -ne $AgentState['wts']) {
        return $AgentState['wts']
    }
    $assemblyName = 'MultipointWms.WtsApi.V1'
    $typeName = 'MultipointWms.WtsApi.V1.Native'
    $type = $null
    foreach ($assembly in [System.AppDomain]::CurrentDomain.GetAssemblies()) {
        if ($assembly.GetName().Name -ceq $assemblyName) {
            $type = $assembly.GetType($typeName, $false)
            if ($null -ne $type) { break }
        }
    }
    if ($null -eq $type) {
        $name = New-Object -TypeName System.Reflection.AssemblyName -ArgumentList $assemblyName
        $assemblyBuilder = [System.AppDomain]::CurrentDomain.DefineDynamicAssembly($name, [System.Reflection.Emit.AssemblyBuilderAccess]::Run)
        $moduleBuilder = $assemblyBuilder.DefineDynamicModule($assemblyName)
        $typeBuilder = $moduleBuilder.DefineType($typeName, [System.Reflection.TypeAttributes]'Public, Abstract, Sealed')
        $pointerOut = [System.IntPtr].MakeByRefType()
        $intOut = [int].MakeByRefType()
        # BOOL WTSEnumerateSessionsW(HANDLE hServer, DWORD Reserved, DWORD Version, PWTS_SESSION_INFOW *ppSessionInfo, DWORD *pCount)
        Add-WtsImport -TypeBuilder $typeBuilder -Name 'WTSEnumerateSessionsW' -ReturnType ([bool]) -ParameterTypes @([System.IntPtr], [int], [int], $pointerOut, $intOut)
        # BOOL WTSQuerySessionInformationW(HANDLE hServer, DWORD SessionId, WTS_INFO_CLASS WTSInfoClass, LPWSTR *ppBuffer, DWORD *pBytesReturned)
        Add-WtsImport -TypeBuilder $typeBuilder -Name 'WTSQuerySessionInformationW' -ReturnType ([bool]) -ParameterTypes @([System.IntPtr], [int], [int], $pointerOut, $intOut)
        # void WTSFreeMemory(PVOID pMemory)
        Add-WtsImport -TypeBuilder $typeBuilder -Name 'WTSFreeMemory' -ReturnType ([void]) -ParameterTypes @([System.IntPtr])
        # BOOL WTSDisconnectSession(HANDLE hServer, DWORD SessionId, BOOL bWait)
        Add-WtsImport -TypeBuilder $typeBuilder -Name 'WTSDisconnectSession' -ReturnType ([bool]) -ParameterTypes @([System.IntPtr], [int], [bool])
        # BOOL WTSSendMessageW(HANDLE hServer, DWORD SessionId, LPWSTR pTitle, DWORD TitleLength, LPWSTR pMessage,
        #                      DWORD MessageLength, DWORD Style, DWORD Timeout, DWORD *pResponse, BOOL bWait)
        Add-WtsImport -TypeBuilder $typeBuilder -Name 'WTSSendMessageW' -ReturnType ([bool]) -ParameterTypes @([System.IntPtr], [int], [string], [int], [string], [int], [int], [int], $intOut, [bool])
        $type = $typeBuilder.CreateType()
    }
    $AgentState['wts'] = $type
    return $type
}

function ConvertTo-NativeId {
    # A session id is a DWORD; the P/Invoke signatures carry it as Int32 with the same bits.
    param([long]$Id)
    if ($Id -gt 2147483647) {
        return [int]($Id - 4294967296)
    }
    return [int]$Id
}

function ConvertFrom-NativeId {
    param([int]$Value)
    if ($Value -lt 0) {
        return ([long]$Value + 4294967296)
    }
    return [long]$Value
}

function Get-WtsSessionList {
    # Every session WTS knows: id, window station name and connect state name.
    $api = Get-WtsApi
    $buffer = [System.IntPtr]::Zero
    $count = 0
    # WTS_CURRENT_SERVER_HANDLE is NULL; Reserved 0; Version 1.
    $ok = $api::WTSEnumerateSessionsW([System.IntPtr]::Zero, 0, 1, [ref]$buffer, [ref]$count)
    $lastError = [System.Runtime.InteropServices.Marshal]::GetLastWin32Error()
    if (-not $ok) {
        throw (New-Win32Exception -Code $lastError -Function 'WTSEnumerateSessionsW')
    }
    $sessions = New-Object -TypeName 'System.Collections.Generic.List[object]'
    try {
        # WTS_SESSION_INFOW { DWORD SessionId; LPWSTR pWinStationName; WTS_CONNECTSTATE_CLASS State; }
        # 32-bit: offsets 0, 4, 8, size 12. 64-bit: the pointer is aligned to 8, so 0, 8, 16, size 24.
        $pointerSize = [System.IntPtr]::Size
        $entrySize = 3 * $pointerSize
        for ($index = 0; $index -lt $count; $index++) {
            $offset = $index * $entrySize
            $id = ConvertFrom-NativeId -Value ([System.Runtime.InteropServices.Marshal]::ReadInt32($buffer, $offset))
            $namePointer = [System.Runtime.InteropServices.Marshal]::ReadIntPtr($buffer, $offset + $pointerSize)
            $stateCode = [System.Runtime.InteropServices.Marshal]::ReadInt32($buffer, $offset + 2 * $pointerSize)
            $name = ''
            if ($namePointer -ne [System.IntPtr]::Zero) {
                $name = [System.Runtime.InteropServices.Marshal]::PtrToStringUni($namePointer)
            }
            if ($stateCode -lt 0 -or $stateCode -ge $ConnectStates.Length) {
                throw (New-InvalidOperation -Message ('WTSEnumerateSessionsW returned connect state ' + $stateCode + ' for session ' + $id))
            }
            $sessions.Add(@{ id = $id; win_station = [string]$name; state = $ConnectStates[$stateCode] })
        }
    } finally {
        if ($buffer -ne [System.IntPtr]::Zero) {
            $api::WTSFreeMemory($buffer)
        }
    }
    return ,$sessions
}

function Test-WtsSessionPresent {
    param([long]$Id)
    foreach ($entry in (Get-WtsSessionList)) {
        if ($entry['id'] -eq $Id) {
            return $true
        }
    }
    return $false
}

function Get-WtsSessionText {
    # WTSQuerySessionInformationW for a string class: WTSUserName 5, WTSDomainName 7,
    # WTSClientName 10.
    param([long]$SessionId, [int]$InfoClass)
    $api = Get-WtsApi
    $buffer = [System.IntPtr]::Zero
    $bytes = 0
    $ok = $api::WTSQuerySessionInformationW([System.IntPtr]::Zero, (ConvertTo-NativeId -Id $SessionId), $InfoClass, [ref]$buffer, [ref]$bytes)
    $lastError = [System.Runtime.InteropServices.Marshal]::GetLastWin32Error()
    if (-not $ok) {
        throw (New-Win32Exception -Code $lastError -Function 'WTSQuerySessionInformationW')
    }
    $text = ''
    try {
        if ($buffer -ne [System.IntPtr]::Zero) {
            $text = [System.Runtime.InteropServices.Marshal]::PtrToStringUni($buffer)
        }
    } finally {
        if ($buffer -ne [System.IntPtr]::Zero) {
            $api::WTSFreeMemory($buffer)
        }
    }
    return [string]$text
}

function Invoke-WtsDisconnect {
    param([long]$SessionId)
    $api = Get-WtsApi
    # WTSDisconnectSession(WTS_CURRENT_SERVER_HANDLE, id, bWait = FALSE)
    $ok = $api::WTSDisconnectSession([System.IntPtr]::Zero, (ConvertTo-NativeId -Id $SessionId), $false)
    $lastError = [System.Runtime.InteropServices.Marshal]::GetLastWin32Error()
    if (-not $ok) {
        throw (New-Win32Exception -Code $lastError -Function 'WTSDisconnectSession')
    }
}

function Send-WtsMessage {
    param([long]$SessionId, [string]$Title, [string]$Text, [int]$Seconds)
    $api = Get-WtsApi
    $response = 0
    # Lengths are in bytes (UTF-16: two per char). Style MB_OK (0) | MB_ICONINFORMATION (0x40).
    # bWait FALSE: the call returns at once with IDASYNC (32001).
    $ok = $api::WTSSendMessageW([System.IntPtr]::Zero, (ConvertTo-NativeId -Id $SessionId), $Title, (2 * $Title.Length), $Text, (2 * $Text.Length), 0x40, $Seconds, [ref]$response, $false)
    $lastError = [System.Runtime.InteropServices.Marshal]::GetLastWin32Error()
    if (-not $ok) {
        throw (New-Win32Exception -Code $lastError -Function 'WTSSendMessageW')
    }
    return [long]$response
}

# ---------------------------------------------------------------------------------------------
# Local Administrators (is_admin on the WTS backend)

function Get-GroupMembers {
    # The direct members of a group, through ADSI's WinNT provider: SID, whether it is a group, and
    # its ADsPath (WinNT://MACHINE/Name for a local group, WinNT://DOMAIN/Name for a domain one).
    param([string]$Path)
    $group = New-Object -TypeName System.DirectoryServices.DirectoryEntry -ArgumentList $Path
    $members = New-Object -TypeName 'System.Collections.Generic.List[object]'
    $get = [System.Reflection.BindingFlags]::GetProperty
    foreach ($member in @($group.psbase.Invoke('Members'))) {
        $kind = $member.GetType()
        $bytes = [byte[]]$kind.InvokeMember('objectSid', $get, $null, $member, $null)
        $class = [string]$kind.InvokeMember('Class', $get, $null, $member, $null)
        $memberPath = [string]$kind.InvokeMember('ADsPath', $get, $null, $member, $null)
        $sid = New-Object -TypeName System.Security.Principal.SecurityIdentifier -ArgumentList $bytes, 0
        $members.Add(@{ sid = $sid.Value; group = ($class -eq 'Group'); path = $memberPath })
    }
    return ,$members
}

function Get-LocalAdminSet {
    # Every SID that is an administrator through the local Administrators group (S-1-5-32-544,
    # found by its well-known SID: its name is localized), its nested local groups and the domain
    # groups the WinNT provider can expand, without the AD module. complete is $false when some
    # group could not be expanded: a user not found may still be an administrator through it.
    # $null when the Administrators group itself cannot be read.
    if ($AgentState['admin_read']) {
        return $AgentState['admins']
    }
    $AgentState['admin_read'] = $true
    $sids = New-Object -TypeName 'System.Collections.Generic.Dictionary[string,bool]'
    $complete = $true
    try {
        $groupSid = New-Object -TypeName System.Security.Principal.SecurityIdentifier -ArgumentList 'S-1-5-32-544'
        $account = $groupSid.Translate([System.Security.Principal.NTAccount]).Value
        $groupName = $account.Substring($account.LastIndexOf('\') + 1)
        $root = 'WinNT://' + $env:COMPUTERNAME + '/' + $groupName + ',group'
        $members = Get-GroupMembers -Path $root
    } catch {
        $AgentState['admins'] = $null
        return $null
    }
    $pending = New-Object -TypeName 'System.Collections.Generic.Queue[object]'
    $pending.Enqueue($members)
    $seen = New-Object -TypeName 'System.Collections.Generic.Dictionary[string,bool]'
    $seen[$root] = $true
    while ($pending.Count -gt 0) {
        $list = $pending.Dequeue()
        foreach ($member in $list) {
            $sids[$member['sid']] = $true
            if (-not $member['group'] -or $seen.ContainsKey($member['path'])) {
                continue
            }
            $seen[$member['path']] = $true
            if ($seen.Count -gt $AdminGroupLimit) {
                $complete = $false
                continue
            }
            try {
                $pending.Enqueue((Get-GroupMembers -Path $member['path']))
            } catch {
                # A well-known or domain group the host cannot expand (no domain controller, no
                # rights): who is inside stays unknown.
                $complete = $false
            }
        }
    }
    $AgentState['admins'] = @{ sids = $sids; complete = $complete }
    return $AgentState['admins']
}

function Test-LocalAdmin {
    # $true / $false, or $null when unknown: no user, the group or the account cannot be read,
    # or the user was not found and some nested group could not be expanded.
    param([string]$Domain, [string]$User)
    if ([string]::IsNullOrEmpty($User)) {
        return $null
    }
    $admins = Get-LocalAdminSet
    if ($null -eq $admins) {
        return $null
    }
    try {
        if ([string]::IsNullOrEmpty($Domain)) {
            $account = New-Object -TypeName System.Security.Principal.NTAccount -ArgumentList $User
        } else {
            $account = New-Object -TypeName System.Security.Principal.NTAccount -ArgumentList $Domain, $User
        }
        $sid = $account.Translate([System.Security.Principal.SecurityIdentifier]).Value
    } catch {
        return $null
    }
    if ($admins['sids'].ContainsKey($sid)) {
        return $true
    }
    if ($admins['complete']) {
        return $false
    }
    return $null
}

# ---------------------------------------------------------------------------------------------
# The MultiPoint module's own runspace. Cmdlets run in a nested [PowerShell] with BeginInvoke
# and a wait handle, so a call that hangs is abandoned after its limit (and asked to stop)
# instead of hanging the agent. The runspace has no host: text a cmdlet writes to the host
# (such as -WhatIf's "What if:" lines) goes nowhere instead of onto stdout.

function Invoke-NestedPipeline {
    param([System.Management.Automation.PowerShell]$Shell, [int]$LimitMs)
    $outcome = @{ timed_out = $false; output = $null; errors = (New-Object -TypeName 'System.Collections.Generic.List[object]') }
    $handle = $Shell.BeginInvoke()
    if (-not $handle.AsyncWaitHandle.WaitOne($LimitMs)) {
        $outcome['timed_out'] = $true
        # Ask it to stop without waiting: Stop() would block for as long as the cmdlet hangs.
        try { [void]$Shell.BeginStop($null, $null) } catch { $null = $_ }
        return $outcome
    }
    $terminating = $null
    try {
        $outcome['output'] = $Shell.EndInvoke($handle)
    } catch {
        $terminating = Resolve-ErrorRecord -Record $_
    }
    foreach ($record in @($Shell.Streams.Error)) {
        $outcome['errors'].Add((Resolve-ErrorRecord -Record $record))
    }
    if ($null -ne $terminating) {
        $outcome['errors'].Add($terminating)
    }
    return $outcome
}

function Close-NestedShell {
    param([System.Management.Automation.PowerShell]$Shell)
    try { $Shell.Dispose() } catch { $null = $_ }
}

function New-MultiPointRunspace {
    $state = [System.Management.Automation.Runspaces.InitialSessionState]::CreateDefault2()
    $runspace = [System.Management.Automation.Runspaces.RunspaceFactory]::CreateRunspace($state)
    $runspace.ApartmentState = [System.Threading.Thread]::CurrentThread.GetApartmentState()
    $runspace.ThreadOptions = [System.Management.Automation.Runspaces.PSThreadOptions]::ReuseThread
    $runspace.Open()
    return $runspace
}

function New-MultiPointShell {
    param([hashtable]$Wms)
    $shell = [System.Management.Automation.PowerShell]::Create()
    $shell.Runspace = $Wms['runspace']
    return $shell
}

function Get-MultiPointShell {
    # A [PowerShell] on the MultiPoint runspace. The runspace is opened by detection (which
    # imports the module there, once); after a call on it was abandoned it is opened again and
    # the module loaded from where detection found it: its file (never its name, which could
    # find another copy) or its snap-in.
    param([hashtable]$Wms)
    if ($null -eq $Wms['runspace']) {
        $Wms['runspace'] = New-MultiPointRunspace
        $load = New-MultiPointShell -Wms $Wms
        if (-not [string]::IsNullOrEmpty($Wms['module_path'])) {
            [void]$load.AddCommand('Import-Module').AddParameter('Name', $Wms['module_path']).AddParameter('ErrorAction', 'Stop')
            $null = Invoke-MultiPointRead -Wms $Wms -Shell $load -What ('Import-Module ' + $Wms['module_path'])
        } elseif (-not [string]::IsNullOrEmpty($Wms['snapin'])) {
            [void]$load.AddCommand('Add-PSSnapin').AddParameter('Name', $Wms['snapin']).AddParameter('ErrorAction', 'Stop')
            $null = Invoke-MultiPointRead -Wms $Wms -Shell $load -What ('Add-PSSnapin ' + $Wms['snapin'])
        } else {
            Close-NestedShell -Shell $load
        }
    }
    return (New-MultiPointShell -Wms $Wms)
}

function Close-MultiPointRunspace {
    param($Wms)
    if ($null -eq $Wms) {
        return
    }
    $runspace = $Wms['runspace']
    $Wms['runspace'] = $null
    if ($null -ne $runspace) {
        try { $runspace.Dispose() } catch { $null = $_ }
    }
}

function Add-PipelineObject {
    # One object a MultiPoint read wrote: a collection written as one object (the 2016 help says
    # Get-WmsSession "returns WmsSession collection as PSObject collection") is taken apart.
    param($Objects, $Item, [hashtable]$Shape)
    $base = $Item
    if ($Item -is [System.Management.Automation.PSObject]) {
        $base = $Item.BaseObject
    }
    if ($base -is [System.Collections.IEnumerable] -and $base -isnot [string] -and $base -isnot [System.Collections.IDictionary]) {
        $Shape['container'] = 'collection'
        $Shape['type'] = $base.GetType().FullName
        foreach ($inner in $base) {
            $Objects.Add($inner)
        }
        return
    }
    $Objects.Add($Item)
}

function Invoke-MultiPointRead {
    # Runs a pipeline on the MultiPoint runspace within $WmsReadLimitMs; any error fails the
    # request. Returns the objects written, collections taken apart; Shape (if given) tells how
    # they came: 'per_session' (one object each) or 'collection' (and its type).
    param([hashtable]$Wms, [System.Management.Automation.PowerShell]$Shell, [string]$What, [hashtable]$Shape)
    $outcome = Invoke-NestedPipeline -Shell $Shell -LimitMs $WmsReadLimitMs
    if ($outcome['timed_out']) {
        $Wms['runspace'] = $null
        throw (New-TimeoutException -Message ($What + ' did not return within ' + ($WmsReadLimitMs / 1000) + ' s; the call was abandoned'))
    }
    Close-NestedShell -Shell $Shell
    if ($outcome['errors'].Count -gt 0) {
        throw $outcome['errors'][0]
    }
    if ($null -eq $Shape) {
        $Shape = @{ container = $null; type = $null }
    }
    $Shape['container'] = 'per_session'
    $Shape['type'] = $null
    $objects = New-Object -TypeName 'System.Collections.Generic.List[object]'
    if ($null -ne $outcome['output']) {
        foreach ($item in $outcome['output']) {
            Add-PipelineObject -Objects $objects -Item $item -Shape $Shape
        }
    }
    return ,$objects
}

# ---------------------------------------------------------------------------------------------
# Generation detection (protocol section 5), in the MultiPoint runspace, time-limited

function Get-MultiPointCommand {
    # Get-Command in the MultiPoint runspace (auto-loading may import the module); $null if absent.
    param([hashtable]$Wms, [string]$Name)
    $shell = New-MultiPointShell -Wms $Wms
    [void]$shell.AddCommand('Get-Command').AddParameter('Name', $Name).AddParameter('ErrorAction', 'SilentlyContinue')
    $found = Invoke-MultiPointRead -Wms $Wms -Shell $shell -What ('Get-Command ' + $Name)
    if ($found.Count -eq 0) {
        return $null
    }
    return $found[0]
}

function Get-ParameterNames {
    param($Command)
    $names = New-Object -TypeName 'System.Collections.Generic.List[string]'
    if ($null -ne $Command) {
        foreach ($key in $Command.Parameters.Keys) {
            $names.Add([string]$key)
        }
    }
    return ,$names
}

function Find-MultiPointModule {
    # Fills Wms (the MultiPoint runspace and where the module was found) and returns what was
    # found. generation: '2012', '2016', 'none' or 'unsupported'. The operating system version is
    # never used: only the cmdlet's parameters tell the generations apart.
    param([hashtable]$Wms)
    $found = @{ generation = 'none'; module = $null; detail = ''; found_by = $null; path = $null; get_parameters = $null; disconnect_parameters = $null }
    $Wms['runspace'] = New-MultiPointRunspace
    $command = Get-MultiPointCommand -Wms $Wms -Name 'Disconnect-WmsSession'
    $found['found_by'] = 'Get-Command'
    if ($null -eq $command) {
        $failures = New-Object -TypeName 'System.Collections.Generic.List[string]'
        foreach ($name in @('MultiPoint', 'WmsCmdlets', 'WmsCmdlets3')) {
            $loaded = $false
            try {
                $import = New-MultiPointShell -Wms $Wms
                [void]$import.AddCommand('Import-Module').AddParameter('Name', $name).AddParameter('ErrorAction', 'Stop').AddParameter('WarningAction', 'SilentlyContinue')
                $null = Invoke-MultiPointRead -Wms $Wms -Shell $import -What ('Import-Module ' + $name)
                $loaded = $true
            } catch {
                if ($null -eq $Wms['runspace']) {
                    throw
                }
                $failures.Add($name + ': ' + $_.Exception.Message)
            }
            if ($loaded) {
                $found['found_by'] = 'Import-Module ' + $name
                break
            }
        }
        $command = Get-MultiPointCommand -Wms $Wms -Name 'Disconnect-WmsSession'
        $found['detail'] = ($failures -join ' | ')
    }
    if ($null -eq $command) {
        $found['found_by'] = $null
        return $found
    }
    $found['disconnect_parameters'] = Get-ParameterNames -Command $command
    $found['get_parameters'] = Get-ParameterNames -Command (Get-MultiPointCommand -Wms $Wms -Name 'Get-WmsSession')
    if ($null -ne $command.Module) {
        $Wms['module_path'] = [string]$command.Module.Path
        $found['path'] = $Wms['module_path']
        $found['module'] = New-ModuleRecord -Name $command.Module.Name -Version ([string]$command.Module.Version)
    } elseif ($null -ne $command.PSSnapIn) {
        # Cmdlets from a snap-in have no module: it is loaded again by its name.
        $Wms['snapin'] = [string]$command.PSSnapIn.Name
        $found['found_by'] = 'snap-in ' + $Wms['snapin']
        $found['module'] = New-ModuleRecord -Name $command.PSSnapIn.Name -Version ([string]$command.PSSnapIn.Version)
    }
    $parameters = $found['disconnect_parameters']
    if ($parameters -contains 'TimeoutInSecond') {
        $found['generation'] = '2012'
    } elseif ($parameters -contains 'All' -or $parameters -contains 'Server') {
        $found['generation'] = '2016'
    } else {
        $found['generation'] = 'unsupported'
        $found['detail'] = 'Disconnect-WmsSession has neither TimeoutInSecond (2012) nor All/Server (2016); its parameters: ' + ($parameters -join ', ')
    }
    return $found
}

function Resolve-AgentBackend {
    param([hashtable]$Request, $Response, [hashtable]$Context)
    if ($Request['backend'] -eq 'wts') {
        $Context['backend'] = 'wts'
        $Response['backend'] = 'wts'
        return
    }
    $Context['wms'] = @{ runspace = $null; module_path = $null; snapin = $null; shape = $null; objects = $null }
    $clock = [System.Diagnostics.Stopwatch]::StartNew()
    $found = Find-MultiPointModule -Wms $Context['wms']
    $Context['found'] = $found
    $Context['detect_ms'] = [long]$clock.ElapsedMilliseconds
    if ($found['generation'] -eq 'unsupported') {
        $Response['module'] = $found['module']
        Stop-Agent -Kind 'unsupported_module' -Message $found['detail']
    }
    $Response['generation'] = $found['generation']
    $Response['module'] = $found['module']
    if ($found['generation'] -eq 'none') {
        if ($Request['backend'] -eq 'multipoint') {
            Stop-Agent -Kind 'module_missing' -Message ('Disconnect-WmsSession was not found after Import-Module MultiPoint, WmsCmdlets, WmsCmdlets3. ' + $found['detail'])
        }
        $Context['backend'] = 'wts'
    } elseif ($found['generation'] -eq '2012') {
        $Context['backend'] = 'multipoint-2012'
    } else {
        $Context['backend'] = 'multipoint-2016'
    }
    $Response['backend'] = $Context['backend']
}

# ---------------------------------------------------------------------------------------------
# MultiPoint Server 2012 (module WmsCmdlets / MultiPoint, 28 cmdlets with -TimeoutInSecond)

function Read-MultiPointSessions2012 {
    # Without arguments the 2012 cmdlet lists every session; the id property is 'Id'.
    param([hashtable]$Wms)
    $shell = Get-MultiPointShell -Wms $Wms
    [void]$shell.AddCommand('Get-WmsSession')
    $Wms['shape'] = @{ container = $null; type = $null }
    $objects = Invoke-MultiPointRead -Wms $Wms -Shell $shell -What 'Get-WmsSession' -Shape $Wms['shape']
    $Wms['objects'] = $objects
    return ,(ConvertTo-SessionIndex -Objects $objects -IdProperty 'Id')
}

function Invoke-MultiPointDisconnect2012 {
    # -SessionId takes one Int32 here, so one call per target, one after the other. The calls
    # share the request's deadline (DeadlineMs on Clock, started when acting began): each gets the
    # seconds left (rounded up, at least 1) as -TimeoutInSecond and is abandoned $AbandonGraceMs
    # after the time left; a target whose turn comes after the deadline is not called and reports
    # a TimeoutException that says so. So N hanging sessions cost the timeout once, not N times.
    param([hashtable]$Wms, $Targets, $Outcomes, [System.Diagnostics.Stopwatch]$Clock, [long]$DeadlineMs, [bool]$WhatIf)
    foreach ($id in $Targets) {
        $leftMs = $DeadlineMs - $Clock.ElapsedMilliseconds
        if ($leftMs -le 0) {
            Set-ResultError -Outcomes $Outcomes -Id $id -ErrorInfo (New-TimeoutError -Message ('not reached: the request''s ' + [long]($DeadlineMs / 1000) + ' s were used up before this session''s turn; Disconnect-WmsSession was not called for it'))
            continue
        }
        $seconds = [int][System.Math]::Max(1, [System.Math]::Ceiling($leftMs / 1000))
        $limitMs = [int]($leftMs + $AbandonGraceMs)
        $shell = $null
        $outcome = $null
        try {
            $shell = Get-MultiPointShell -Wms $Wms
            [void]$shell.AddCommand('Disconnect-WmsSession').AddParameter('SessionId', [int]$id).AddParameter('TimeoutInSecond', $seconds).AddParameter('Confirm', $false)
            if ($WhatIf) {
                [void]$shell.AddParameter('WhatIf', $true)
            }
            $outcome = Invoke-NestedPipeline -Shell $shell -LimitMs $limitMs
        } catch {
            Set-ResultError -Outcomes $Outcomes -Id $id -ErrorInfo (ConvertTo-AgentError -Record $_)
            continue
        }
        if ($outcome['timed_out']) {
            $Wms['runspace'] = $null
            Set-ResultError -Outcomes $Outcomes -Id $id -ErrorInfo (New-TimeoutError -Message ('Disconnect-WmsSession did not return within ' + [long]($limitMs / 1000) + ' s; the call was abandoned'))
            continue
        }
        Close-NestedShell -Shell $shell
        foreach ($record in $outcome['errors']) {
            Set-ResultError -Outcomes $Outcomes -Id $id -ErrorInfo (ConvertTo-AgentError -Record $record)
        }
    }
}

# ---------------------------------------------------------------------------------------------
# MultiPoint Services, Windows Server 2016 (module MultiPoint, -SessionId <UInt32[]>, -All, -Server)

function Read-MultiPointSessions2016 {
    # -All is mandatory in its parameter set: without it the cmdlet would ask for -SessionId.
    # The id property is 'SessionId'.
    param([hashtable]$Wms)
    $shell = Get-MultiPointShell -Wms $Wms
    [void]$shell.AddCommand('Get-WmsSession').AddParameter('All', $true)
    $Wms['shape'] = @{ container = $null; type = $null }
    $objects = Invoke-MultiPointRead -Wms $Wms -Shell $shell -What 'Get-WmsSession -All' -Shape $Wms['shape']
    $Wms['objects'] = $objects
    return ,(ConvertTo-SessionIndex -Objects $objects -IdProperty 'SessionId')
}

function Invoke-MultiPointDisconnect2016 {
    # One call for every target; the cmdlet has no timeout of its own, so the agent abandons it
    # after timeout seconds. An error whose TargetObject is one target id belongs to that id;
    # any other error belongs to every target of the call.
    param([hashtable]$Wms, $Targets, $Outcomes, [int]$Timeout, [bool]$WhatIf)
    $shell = $null
    $outcome = $null
    try {
        $shell = Get-MultiPointShell -Wms $Wms
        $ids = New-Object -TypeName 'System.Collections.Generic.List[uint32]'
        foreach ($id in $Targets) {
            $ids.Add([uint32]$id)
        }
        [void]$shell.AddCommand('Disconnect-WmsSession').AddParameter('SessionId', $ids.ToArray()).AddParameter('Confirm', $false)
        if ($WhatIf) {
            [void]$shell.AddParameter('WhatIf', $true)
        }
        $outcome = Invoke-NestedPipeline -Shell $shell -LimitMs ($Timeout * 1000)
    } catch {
        $failure = ConvertTo-AgentError -Record $_
        foreach ($id in $Targets) {
            Set-ResultError -Outcomes $Outcomes -Id $id -ErrorInfo $failure
        }
        return
    }
    if ($outcome['timed_out']) {
        $Wms['runspace'] = $null
        $failure = New-TimeoutError -Message ('Disconnect-WmsSession did not return within ' + $Timeout + ' s; the call was abandoned')
        foreach ($id in $Targets) {
            Set-ResultError -Outcomes $Outcomes -Id $id -ErrorInfo $failure
        }
        return
    }
    Close-NestedShell -Shell $shell
    foreach ($record in $outcome['errors']) {
        $failure = ConvertTo-AgentError -Record $record
        $owner = Get-ErrorTargetId -Record $record -Targets $Targets
        if ($null -ne $owner) {
            Set-ResultError -Outcomes $Outcomes -Id $owner -ErrorInfo $failure
        } else {
            foreach ($id in $Targets) {
                Set-ResultError -Outcomes $Outcomes -Id $id -ErrorInfo $failure
            }
        }
    }
}

# ---------------------------------------------------------------------------------------------
# Sessions (protocol section 6: WTS joined by id with Get-WmsSession)

function Get-ObjectProperty {
    param($Item, [string]$Name)
    if ($null -eq $Item) {
        return $null
    }
    $property = $Item.PSObject.Properties[$Name]
    if ($null -eq $property) {
        return $null
    }
    # The comma keeps a collection value from being unrolled into the output.
    return ,$property.Value
}

function ConvertTo-SessionIndex {
    # Get-WmsSession objects by session id.
    param($Objects, [string]$IdProperty)
    $index = New-Object -TypeName 'System.Collections.Generic.Dictionary[long,object]'
    foreach ($item in $Objects) {
        $value = Get-ObjectProperty -Item $item -Name $IdProperty
        # Int32 or UInt32 as documented per generation, or a number written as text.
        if ($value -is [string] -and $value -match '^[0-9]{1,10}$') {
            $value = [long]$value
        }
        if (-not (Test-IntegerValue -Value $value)) {
            # A wrong guess about the module must be loud, not a silently empty join.
            $names = New-Object -TypeName 'System.Collections.Generic.List[string]'
            if ($null -ne $item) {
                foreach ($property in $item.PSObject.Properties) {
                    $names.Add($property.Name)
                }
            }
            throw (New-InvalidOperation -Message ('Get-WmsSession returned an object without an integer ' + $IdProperty + ' property; its properties: ' + ($names -join ', ')))
        }
        $index[[long]$value] = $item
    }
    return ,$index
}

function New-SessionFromMultiPoint {
    param([hashtable]$Entry, $Item)
    $station = Get-ObjectProperty -Item $Item -Name 'StationId'
    if (-not (Test-IntegerValue -Value $station)) { $station = $null } else { $station = [long]$station }
    $isAdmin = Get-ObjectProperty -Item $Item -Name 'IsAdmin'
    if ($isAdmin -isnot [bool]) { $isAdmin = $null } else { $isAdmin = [bool]$isAdmin }
    $state = Get-ObjectProperty -Item $Item -Name 'State'
    if ($null -ne $state) { $state = $state.ToString() }
    $user = [string](Get-ObjectProperty -Item $Item -Name 'UserName')
    $domain = [string](Get-ObjectProperty -Item $Item -Name 'DomainName')
    $client = [string](Get-ObjectProperty -Item $Item -Name 'ClientName')
    return New-SessionRecord -Id $Entry['id'] -User $user -Domain $domain -Station $station -Client $client -IsAdmin $isAdmin -ConnectState $Entry['state'] -WmsState $state -WmsListed $true -WinStation $Entry['win_station']
}

function New-SessionFromWts {
    param([hashtable]$Entry, [bool]$CheckAdmin)
    $id = [long]$Entry['id']
    $user = ''
    $domain = ''
    $client = ''
    try {
        $user = Get-WtsSessionText -SessionId $id -InfoClass 5
        $domain = Get-WtsSessionText -SessionId $id -InfoClass 7
        $client = Get-WtsSessionText -SessionId $id -InfoClass 10
    } catch {
        # A listener (RDP-Tcp) or a window station that is down, initializing or resetting has no
        # user: if Windows will not describe it, it is reported with an empty user rather than
        # failing the inventory. For a user session the error stands.
        if (@('Listen', 'Down', 'Init', 'Reset') -cnotcontains $Entry['state']) {
            throw
        }
        $user = ''
        $domain = ''
        $client = ''
    }
    $isAdmin = $null
    if ($CheckAdmin) {
        $isAdmin = Test-LocalAdmin -Domain $domain -User $user
    }
    return New-SessionRecord -Id $id -User $user -Domain $domain -Station $null -Client $client -IsAdmin $isAdmin -ConnectState $Entry['state'] -WmsState $null -WmsListed $false -WinStation $Entry['win_station']
}

function Assert-SameUser {
    # The join of Get-WmsSession and the WTS API is by id only: for a joined session both must
    # name the same user, or nothing on this host can be trusted to be the session it seems.
    param($Record)
    $wtsUser = ''
    try {
        $wtsUser = Get-WtsSessionText -SessionId $Record['id'] -InfoClass 5
    } catch {
        if (-not (Test-WtsSessionPresent -Id $Record['id'])) {
            return
        }
        throw
    }
    $wmsUser = [string]$Record['user']
    # MultiPoint may or may not write the domain in UserName: compare the user part.
    $wmsShort = $wmsUser.Substring($wmsUser.LastIndexOf('\') + 1)
    if ($wmsShort -ine $wtsUser) {
        throw (New-InvalidOperation -Message ('Get-WmsSession and the WTS API name different users for session ' + $Record['id'] + ": MultiPoint says '" + $wmsUser + "', WTS says '" + $wtsUser + "'; the agent will not act on a host whose sessions it cannot match"))
    }
}

function Read-Sessions {
    param([hashtable]$Context)
    $wmsIndex = $null
    $clock = [System.Diagnostics.Stopwatch]::StartNew()
    if ($Context['backend'] -eq 'multipoint-2012') {
        $wmsIndex = Read-MultiPointSessions2012 -Wms $Context['wms']
    } elseif ($Context['backend'] -eq 'multipoint-2016') {
        $wmsIndex = Read-MultiPointSessions2016 -Wms $Context['wms']
    }
    $Context['wms_read_ms'] = [long]$clock.ElapsedMilliseconds
    $sessions = New-Object -TypeName 'System.Collections.Generic.List[object]'
    foreach ($entry in (Get-WtsSessionList)) {
        if ($null -ne $wmsIndex -and $wmsIndex.ContainsKey($entry['id'])) {
            $record = New-SessionFromMultiPoint -Entry $entry -Item $wmsIndex[$entry['id']]
            Assert-SameUser -Record $record
            $sessions.Add($record)
            continue
        }
        try {
            $record = New-SessionFromWts -Entry $entry -CheckAdmin ($Context['backend'] -eq 'wts')
        } catch {
            # A session that logged off between the two WTS calls is simply gone.
            if (-not (Test-WtsSessionPresent -Id $entry['id'])) {
                continue
            }
            throw
        }
        $sessions.Add($record)
    }
    return ,$sessions
}

# ---------------------------------------------------------------------------------------------
# Actions (protocol section 6)

function Set-ResultError {
    # The first error reported for an id is kept.
    param($Outcomes, [long]$Id, $ErrorInfo)
    if ($null -eq $Outcomes[$Id]['error']) {
        $Outcomes[$Id]['error'] = $ErrorInfo
    }
}

function Get-ErrorTargetId {
    param([System.Management.Automation.ErrorRecord]$Record, $Targets)
    $target = $Record.TargetObject
    $value = $null
    if (Test-IntegerValue -Value $target) {
        $value = [long]$target
    } elseif ($target -is [string] -and $target -match '^[0-9]{1,10}$') {
        $value = [long]$target
    }
    if ($null -ne $value -and $Targets.Contains($value)) {
        return $value
    }
    return $null
}

function Get-SessionAccount {
    # DOMAIN\user as the controller writes it (user alone when the domain is empty; '' for nobody).
    param($Session)
    $user = [string]$Session['user']
    $domain = [string]$Session['domain']
    if ([string]::IsNullOrEmpty($user)) {
        return ''
    }
    if ([string]::IsNullOrEmpty($domain)) {
        return $user
    }
    return ($domain + '\' + $user)
}

function Select-Targets {
    # Step 1: absent -> skipped/absent; connect state not in act_states -> skipped/state; with
    # accounts, an account other than the one selected (compared case-insensitively) ->
    # skipped/user_changed; otherwise a target. A repeated id is decided (and acted on) once and
    # reported each time. what_if tells whether a call carried -WhatIf, so a skipped id (no call)
    # has false.
    param([hashtable]$Request, $Sessions, [bool]$WhatIf)
    $stateById = New-Object -TypeName 'System.Collections.Generic.Dictionary[long,string]'
    $accountById = New-Object -TypeName 'System.Collections.Generic.Dictionary[long,string]'
    foreach ($session in $Sessions) {
        $stateById[[long]$session['id']] = [string]$session['connect_state']
        $accountById[[long]$session['id']] = Get-SessionAccount -Session $session
    }
    $targets = New-Object -TypeName 'System.Collections.Generic.List[long]'
    $outcomes = New-Object -TypeName 'System.Collections.Generic.Dictionary[long,object]'
    $ids = $Request['ids']
    for ($index = 0; $index -lt $ids.Count; $index++) {
        $id = $ids[$index]
        if ($outcomes.ContainsKey($id)) {
            continue
        }
        if (-not $stateById.ContainsKey($id)) {
            $outcomes[$id] = New-ResultRecord -Id $id -Action 'skipped' -Reason 'absent' -WhatIf $false
        } elseif ($Request['act_states'] -cnotcontains $stateById[$id]) {
            $outcomes[$id] = New-ResultRecord -Id $id -Action 'skipped' -Reason 'state' -WhatIf $false
        } elseif ($null -ne $Request['accounts'] -and $accountById[$id] -ine $Request['accounts'][$index]) {
            $outcomes[$id] = New-ResultRecord -Id $id -Action 'skipped' -Reason 'user_changed' -WhatIf $false
        } else {
            $targets.Add($id)
            $outcomes[$id] = New-ResultRecord -Id $id -Action 'called' -Reason $null -WhatIf $WhatIf
        }
    }
    return @{ targets = $targets; outcomes = $outcomes }
}

function Get-ResultList {
    param([hashtable]$Request, $Outcomes)
    $results = New-Object -TypeName 'System.Collections.Generic.List[object]'
    foreach ($id in $Request['ids']) {
        $results.Add($Outcomes[$id])
    }
    return ,$results
}

function Invoke-WtsDisconnectTargets {
    param($Targets, $Outcomes, [bool]$WhatIf)
    foreach ($id in $Targets) {
        if ($WhatIf) {
            # The WTS API has no what-if: the precondition held and nothing is invoked.
            $Outcomes[$id]['action'] = 'checked'
            continue
        }
        try {
            Invoke-WtsDisconnect -SessionId $id
        } catch {
            Set-ResultError -Outcomes $Outcomes -Id $id -ErrorInfo (ConvertTo-AgentError -Record $_)
        }
    }
}

function Wait-Disconnected {
    # Step 3: re-read connect states every PollMs until every id is Disconnected or gone, or
    # until DeadlineMs on Clock (started when acting began).
    param($Ids, [int]$PollMs, [System.Diagnostics.Stopwatch]$Clock, [long]$DeadlineMs)
    if ($Ids.Count -eq 0) {
        return
    }
    while ($true) {
        $states = @{}
        foreach ($entry in (Get-WtsSessionList)) {
            $states[[string]$entry['id']] = $entry['state']
        }
        $pending = $false
        foreach ($id in $Ids) {
            $key = [string]$id
            if ($states.ContainsKey($key) -and $states[$key] -ne 'Disconnected') {
                $pending = $true
            }
        }
        if (-not $pending) {
            return
        }
        $remaining = $DeadlineMs - $Clock.ElapsedMilliseconds
        if ($remaining -le 0) {
            return
        }
        Start-Sleep -Milliseconds ([int][System.Math]::Min([long]$PollMs, $remaining))
    }
}

function Invoke-DisconnectAction {
    param([hashtable]$Request, [hashtable]$Context, $Response)
    $whatIf = [bool]$Request['what_if']
    $sessions = Read-Sessions -Context $Context
    $Response['sessions'] = $sessions
    $plan = Select-Targets -Request $Request -Sessions $sessions -WhatIf $whatIf
    $targets = $plan['targets']
    $outcomes = $plan['outcomes']
    if ($targets.Count -gt 0) {
        $clock = [System.Diagnostics.Stopwatch]::StartNew()
        # A MultiPoint cmdlet only ever gets ids Get-WmsSession listed: what it does with another
        # id is not documented, and a terminating error would fail every id of the call. A session
        # WTS lists and MultiPoint does not is disconnected through the WTS API.
        $listed = New-Object -TypeName 'System.Collections.Generic.Dictionary[long,bool]'
        foreach ($session in $sessions) {
            if ($session['wms_listed']) {
                $listed[[long]$session['id']] = $true
            }
        }
        $wmsTargets = New-Object -TypeName 'System.Collections.Generic.List[long]'
        $wtsTargets = New-Object -TypeName 'System.Collections.Generic.List[long]'
        foreach ($id in $targets) {
            if ($Context['backend'] -ne 'wts' -and $listed.ContainsKey($id)) {
                $wmsTargets.Add($id)
            } else {
                $wtsTargets.Add($id)
            }
        }
        if ($wmsTargets.Count -gt 0 -and $Context['backend'] -eq 'multipoint-2012') {
            Invoke-MultiPointDisconnect2012 -Wms $Context['wms'] -Targets $wmsTargets -Outcomes $outcomes -Clock $clock -DeadlineMs (1000 * [long]$Request['timeout']) -WhatIf $whatIf
        } elseif ($wmsTargets.Count -gt 0) {
            Invoke-MultiPointDisconnect2016 -Wms $Context['wms'] -Targets $wmsTargets -Outcomes $outcomes -Timeout $Request['timeout'] -WhatIf $whatIf
        }
        if ($wtsTargets.Count -gt 0) {
            Invoke-WtsDisconnectTargets -Targets $wtsTargets -Outcomes $outcomes -WhatIf $whatIf
        }
        if (-not $whatIf) {
            $waitFor = New-Object -TypeName 'System.Collections.Generic.List[long]'
            foreach ($id in $targets) {
                if ($null -eq $outcomes[$id]['error']) {
                    $waitFor.Add($id)
                }
            }
            Wait-Disconnected -Ids $waitFor -PollMs $Request['poll_ms'] -Clock $clock -DeadlineMs (1000 * [long]$Request['timeout'])
        }
    }
    # The results are in the response before `after` is read, so a failure there keeps them.
    $Response['results'] = Get-ResultList -Request $Request -Outcomes $outcomes
    if ($targets.Count -gt 0) {
        # Step 4: what is true now for the targets (with what_if too); ids that are gone are left out.
        $now = @{}
        foreach ($session in (Read-Sessions -Context $Context)) {
            $now[[string]$session['id']] = $session
        }
        $after = New-Object -TypeName 'System.Collections.Generic.List[object]'
        foreach ($id in $targets) {
            if ($now.ContainsKey([string]$id)) {
                $after.Add($now[[string]$id])
            }
        }
        $Response['after'] = $after
    }
}

function Invoke-MessageAction {
    param([hashtable]$Request, [hashtable]$Context, $Response)
    $sessions = Read-Sessions -Context $Context
    $Response['sessions'] = $sessions
    $plan = Select-Targets -Request $Request -Sessions $sessions -WhatIf $false
    $outcomes = $plan['outcomes']
    foreach ($id in $plan['targets']) {
        try {
            $outcomes[$id]['response'] = Send-WtsMessage -SessionId $id -Title $Request['title'] -Text $Request['text'] -Seconds $Request['display_seconds']
        } catch {
            Set-ResultError -Outcomes $outcomes -Id $id -ErrorInfo (ConvertTo-AgentError -Record $_)
        }
    }
    $Response['results'] = Get-ResultList -Request $Request -Outcomes $outcomes
}

function Invoke-Agent {
    param([hashtable]$Request, $Response)
    $Response['action'] = $Request['action']
    $context = @{ backend = $null; wms = $null; found = $null; detect_ms = 0; wms_read_ms = 0 }
    try {
        Resolve-AgentBackend -Request $Request -Response $Response -Context $context
        if ($Request['action'] -eq 'inventory') {
            $Response['sessions'] = Read-Sessions -Context $context
        } elseif ($Request['action'] -eq 'disconnect') {
            Invoke-DisconnectAction -Request $Request -Context $context -Response $Response
        } else {
            Invoke-MessageAction -Request $Request -Context $context -Response $Response
        }
    } finally {
        # Diagnostics come with a failed request too: that is when they are needed most.
        if ($Request['diagnose']) {
            try {
                $Response['diagnostics'] = Get-AgentDiagnostics -Context $context
            } catch {
                $Response['diagnostics'] = $null
            }
        }
        Close-MultiPointRunspace -Wms $context['wms']
    }
}

function Get-AgentDiagnostics {
    # What a first contact needs to know about the host (inventory with diagnose): only reads.
    param([hashtable]$Context)
    $info = Get-HostInfo
    $found = $Context['found']
    $module = $null
    $generation = $null
    $getParameters = $null
    $disconnectParameters = $null
    if ($null -ne $found) {
        $generation = $found['generation']
        $getParameters = $found['get_parameters']
        $disconnectParameters = $found['disconnect_parameters']
        if ($null -ne $found['module']) {
            $module = [ordered]@{ name = [string]$found['module']['name']; version = [string]$found['module']['version']; path = $found['path']; found_by = [string]$found['found_by'] }
        }
    }
    $properties = $null
    $wms = $Context['wms']
    if ($null -ne $wms -and $null -ne $wms['objects']) {
        $objects = $wms['objects']
        $list = New-Object -TypeName 'System.Collections.Generic.List[object]'
        if ($objects.Count -gt 0 -and $null -ne $objects[0]) {
            foreach ($property in $objects[0].PSObject.Properties) {
                $typeName = [string]$property.TypeNameOfValue
                if ($null -ne $property.Value) {
                    $typeName = $property.Value.GetType().FullName
                }
                $list.Add([ordered]@{ name = [string]$property.Name; type = $typeName })
            }
        }
        $properties = [ordered]@{ container = [string]$wms['shape']['container']; collection_type = $wms['shape']['type']; count = [long]$objects.Count; properties = $list }
    }
    $wts = [ordered]@{ available = $false; sessions = $null; error = $null }
    $clock = [System.Diagnostics.Stopwatch]::StartNew()
    try {
        $list = Get-WtsSessionList
        $wts['available'] = $true
        $wts['sessions'] = [long]$list.Count
    } catch {
        $wts['error'] = [string]$_.Exception.Message
    }
    $wtsMs = [long]$clock.ElapsedMilliseconds
    $admins = [ordered]@{ readable = $false; complete = $null; members = $null }
    $set = Get-LocalAdminSet
    if ($null -ne $set) {
        $admins['readable'] = $true
        $admins['complete'] = [bool]$set['complete']
        $admins['members'] = [long]$set['sids'].Count
    }
    return [ordered]@{
        powershell_version = [string]$PSVersionTable.PSVersion
        clr_version = [string]$PSVersionTable.CLRVersion
        language_mode = [string]$ExecutionContext.SessionState.LanguageMode
        os_version = $info['os_version']
        elevated = $info['elevated']
        module = $module
        generation = $generation
        evidence = [ordered]@{ get_wmssession = $getParameters; disconnect_wmssession = $disconnectParameters }
        wms_session_properties = $properties
        wts = $wts
        administrators = $admins
        timings = [ordered]@{ detect_ms = [long]$Context['detect_ms']; wms_read_ms = [long]$Context['wms_read_ms']; wts_ms = $wtsMs }
    }
}

# ---------------------------------------------------------------------------------------------
# Main: one response line, whatever happens. Nothing above writes to the output stream: every
# call's output is discarded here, and only the response line is written.

$AgentResponse = $null
$AgentLine = $null
$AgentSeen = @{ action = $null }
try {
    $AgentResponse = New-AgentResponse
    $AgentRequest = Read-AgentRequest -Json $RequestJson -Seen $AgentSeen
    $null = Invoke-Agent -Request $AgentRequest -Response $AgentResponse
} catch {
    $AgentFailure = $_
    try {
        if ($null -eq $AgentResponse) {
            $AgentResponse = New-AgentResponse
        }
        if ($null -eq $AgentResponse['action']) {
            $AgentResponse['action'] = $AgentSeen['action']
        }
        $AgentResponse['ok'] = $false
        $AgentResponse['error'] = ConvertTo-AgentError -Record $AgentFailure
    } catch {
        $AgentResponse = $null
    }
}
if ($null -ne $AgentResponse) {
    try {
        $AgentResponse['elapsed_ms'] = [long]$AgentClock.ElapsedMilliseconds
        $AgentLine = ConvertTo-AgentJson -Value $AgentResponse
    } catch {
        # Something in the document could not be written: report that, without the lists.
        try {
            $AgentResponse['ok'] = $false
            $AgentResponse['error'] = ConvertTo-AgentError -Record $_
            $AgentResponse['sessions'] = @()
            $AgentResponse['results'] = @()
            $AgentResponse['after'] = @()
            $AgentLine = ConvertTo-AgentJson -Value $AgentResponse
        } catch {
            $AgentLine = $null
        }
    }
}
if ($null -eq $AgentLine) {
    $AgentLine = '{"agent":"multipoint.wms","protocol":1,"action":null,"ok":false,"error":{"kind":"exception","type":"System.InvalidOperationException","message":"the agent could not write its response","category":null,"fqid":null,"win32":null},"host":{"computer":"","ps_version":"","os_version":"","elevated":null},"generation":null,"module":null,"backend":null,"sessions":[],"results":[],"after":[],"diagnostics":null,"elapsed_ms":0}'
}
Write-Output $AgentLine
