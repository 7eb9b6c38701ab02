@echo off
rem Runs the mingus command line (mingus-server\target\mingus.jar, or %MINGUS_JAR%) on Java 25 or newer.
rem Finds Java in this order: %JAVA_HOME%, the usual install folders (Program Files\Java,
rem Eclipse Adoptium, Microsoft, Zulu, Amazon Corretto, %USERPROFILE%\.jdks), then java on the PATH,
rem and says what it found and what is missing. Uses the AOT cache next to the jar when there is one.
setlocal EnableDelayedExpansion
set "NEED=25"
set "JAR=%MINGUS_JAR%"
if "%JAR%"=="" set "JAR=%~dp0..\mingus-server\target\mingus.jar"
set "FOUND="
set "TRIED="

if defined JAVA_HOME call :consider "%JAVA_HOME%\bin\java.exe"
if not defined FOUND (
  for %%R in ("%ProgramFiles%\Java" "%ProgramFiles%\Eclipse Adoptium" "%ProgramFiles%\Microsoft" "%ProgramFiles%\Zulu" "%ProgramFiles%\Amazon Corretto" "%USERPROFILE%\.jdks") do (
    if not defined FOUND if exist "%%~R" (
      for /d %%D in ("%%~R\*") do if not defined FOUND call :consider "%%~D\bin\java.exe"
    )
  )
)
if not defined FOUND (
  for /f "delims=" %%J in ('where java 2^>nul') do if not defined FOUND call :consider "%%~J"
)

if not defined FOUND (
  echo mingus: needs Java %NEED% or newer, and found none. 1>&2
  if defined TRIED (echo Java found ^(version^):!TRIED! 1>&2) else (echo No Java found in JAVA_HOME, Program Files or on the PATH. 1>&2)
  echo Install a JDK %NEED% or newer ^(for example Eclipse Temurin %NEED%^) and set JAVA_HOME to it. 1>&2
  exit /b 2
)
if not exist "%JAR%" (
  echo mingus: %JAR% is missing: build it first with mvnw.cmd -q -DskipTests package 1>&2
  exit /b 2
)
set "AOT=%JAR:~0,-4%.aot"
if exist "%AOT%" if not defined MINGUS_NO_AOT (
  "%FOUND%" -XX:AOTCache="%AOT%" -Xlog:aot*=off -Xlog:cds*=off %MINGUS_JAVA_OPTS% -jar "%JAR%" %*
  exit /b !ERRORLEVEL!
)
"%FOUND%" %MINGUS_JAVA_OPTS% -jar "%JAR%" %*
exit /b %ERRORLEVEL%

:consider
if not exist "%~1" goto :eof
set "VERSION="
for /f "tokens=2 delims==" %%V in ('"%~1" -XshowSettings:properties -version 2^>^&1 ^| findstr /c:"java.specification.version ="') do set "VERSION=%%V"
set "VERSION=%VERSION: =%"
set "TRIED=!TRIED! %~1 (%VERSION%);"
for /f "tokens=1 delims=." %%M in ("%VERSION%") do set "MAJOR=%%M"
if defined MAJOR if %MAJOR% GEQ %NEED% set "FOUND=%~1"
goto :eof
