; Inno Setup script for the Windows installer of 支部台账 (Inno Setup 6.3 or newer, on Windows).
;
;   1. Build the bundle on Windows:   pyinstaller --noconfirm --clean build.spec
;      and check it:                  dist\BranchLedgerDesk\BranchLedgerDesk-cli.exe --selftest
;   2. Compile this script:           iscc resources\packaging\windows\installer.iss
;      -> dist\installer\BranchLedgerDesk-<version>-setup.exe
;
; The version comes from the bundle's .exe (build.spec writes services/version.py's APP_VERSION into its
; version resource); `iscc /DAppVersion=1.2.3 …` overrides it. The installer is in Simplified Chinese,
; installs per user without administrator rights (an administrator may choose "all users"), creates
; start-menu and desktop shortcuts, and never removes the user's data: the ledgers live in
; %LOCALAPPDATA%\BranchLedger\BranchLedgerDesk, outside the program folder, and stay on uninstall.
; See README.md, "Windows installer".

#define AppName "支部台账"
#define AppExe "BranchLedgerDesk.exe"
#define CliExe "BranchLedgerDesk-cli.exe"
#define Bundle AddBackslash(SourcePath) + "..\..\..\dist\BranchLedgerDesk"

#if !FileExists(Bundle + "\" + AppExe)
  #error Bundle not found: build it first with "pyinstaller --noconfirm --clean build.spec" (see README).
#endif
#ifndef AppVersion
  #define AppVersion GetStringFileInfo(Bundle + "\" + AppExe, "ProductVersion")
#endif
#if AppVersion == ""
  #error The bundle's .exe has no version resource; pass /DAppVersion=x.y.z to iscc.
#endif

[Setup]
; AppId identifies the product for upgrades and uninstall: never change it.
AppId={{EB73D417-4771-4F74-BF12-BA11E989A7F5}
AppName={#AppName}
AppVersion={#AppVersion}
AppVerName={#AppName} {#AppVersion}
AppPublisher=BranchLedger
VersionInfoVersion={#AppVersion}
VersionInfoProductName={#AppName}
DefaultDirName={autopf}\BranchLedgerDesk
DefaultGroupName={#AppName}
DisableProgramGroupPage=yes
PrivilegesRequired=lowest
PrivilegesRequiredOverridesAllowed=dialog
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
MinVersion=10.0
OutputDir={#SourcePath}..\..\..\dist\installer
OutputBaseFilename=BranchLedgerDesk-{#AppVersion}-setup
#if FileExists(SourcePath + "..\..\icons\app.ico")
SetupIconFile={#SourcePath}..\..\icons\app.ico
#endif
UninstallDisplayIcon={app}\{#AppExe}
UninstallDisplayName={#AppName} {#AppVersion}
Compression=lzma2/max
SolidCompression=yes
WizardStyle=modern
ShowLanguageDialog=no
; Close a running copy before files are replaced (Windows Restart Manager).
CloseApplications=yes

[Languages]
; Part of Inno Setup 6.3+; for older versions put ChineseSimplified.isl into its Languages folder.
Name: "chinesesimplified"; MessagesFile: "compiler:Languages\ChineseSimplified.isl"

[CustomMessages]
chinesesimplified.SelfTest=支部台账自检
chinesesimplified.DataKept=卸载已完成。%n%n您的台账数据没有被删除，仍保存在：%n%1%n%n重新安装后会继续使用这些数据；如确实不再需要，可手动删除该文件夹。

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"

[Files]
; The whole one-folder bundle. Only these files are removed on uninstall; user data lives elsewhere.
Source: "{#Bundle}\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{group}\{#AppName}"; Filename: "{app}\{#AppExe}"; WorkingDir: "{userdocs}"
Name: "{group}\{cm:SelfTest}"; Filename: "{cmd}"; Parameters: "/k ""{app}\{#CliExe}"" --selftest"; WorkingDir: "{tmp}"
Name: "{group}\{cm:UninstallProgram,{#AppName}}"; Filename: "{uninstallexe}"
Name: "{autodesktop}\{#AppName}"; Filename: "{app}\{#AppExe}"; WorkingDir: "{userdocs}"; Tasks: desktopicon

[Run]
Filename: "{app}\{#AppExe}"; Description: "{cm:LaunchProgram,{#AppName}}"; Flags: nowait postinstall skipifsilent

[Code]
{ Where services/paths.py keeps the data: platformdirs' user_data_path("BranchLedgerDesk", "BranchLedger"). }
function DataFolder(): String;
begin
  Result := ExpandConstant('{localappdata}\BranchLedger\BranchLedgerDesk');
end;

procedure CurUninstallStepChanged(CurUninstallStep: TUninstallStep);
begin
  if (CurUninstallStep = usPostUninstall) and DirExists(DataFolder()) and not UninstallSilent() then
    MsgBox(FmtMessage(CustomMessage('DataKept'), [DataFolder()]), mbInformation, MB_OK);
end;
