{ PingICMP: the chapter's program (seed/low-level-tcp-udp.fr.md, "program PingICMP" at line 1483),
  extracted verbatim. It does not compile as written with fpc 3.2.2 on Linux; the smallest fixes,
  each marked "sockit:" below, are:
  - uses netdb: THostEntry and GetHostByName live there in FPC, not in Sockets.
  - INVALID_SOCKET = -1: the chapter defines it in "Structure de base d'un socket"; FPC's
    Sockets unit has it only on Windows.
  - one line after "Addr.sin_addr := HostEntry.Addr;": HostToNet(Addr.sin_addr). netdb's
    GetHostByName returns the address in host byte order (PROTOCOL.md 6.10), so as written the program
    would go to 1.0.0.127 instead of 127.0.0.1 and could never reach a server on this host.
  - SetSocketTimeout: the chapter's own procedure from "Définir des timeouts", copied verbatim
    (BaseUnix added to uses for TTimeVal where it was missing).
  Everything else, flaws included (PROTOCOL.md section 6), is the chapter's text. }
{$IFDEF LINUX}
program PingICMP;
{$mode objfpc}{$H+}

uses
  SysUtils, Sockets, BaseUnix, netdb;  // sockit: + netdb

{ ---- sockit: added, see the note at the top ---- }
const
  INVALID_SOCKET = -1;  // Socket invalide

procedure SetSocketTimeout(Sock: TSocket; TimeoutMS: Integer);
var
  {$IFDEF WINDOWS}
  Timeout: DWORD;
  {$ELSE}
  Timeout: TTimeVal;
  {$ENDIF}
begin
  {$IFDEF WINDOWS}
  // Windows utilise des millisecondes
  Timeout := TimeoutMS;
  fpSetSockOpt(Sock, SOL_SOCKET, SO_RCVTIMEO, @Timeout, SizeOf(Timeout));
  fpSetSockOpt(Sock, SOL_SOCKET, SO_SNDTIMEO, @Timeout, SizeOf(Timeout));
  {$ELSE}
  // Linux/Unix utilise une structure timeval
  Timeout.tv_sec := TimeoutMS div 1000;
  Timeout.tv_usec := (TimeoutMS mod 1000) * 1000;
  fpSetSockOpt(Sock, SOL_SOCKET, SO_RCVTIMEO, @Timeout, SizeOf(Timeout));
  fpSetSockOpt(Sock, SOL_SOCKET, SO_SNDTIMEO, @Timeout, SizeOf(Timeout));
  {$ENDIF}
end;
{ ---- sockit: end of the addition ---- }

type
  TICMPHeader = packed record
    icmp_type: Byte;      // Type de message ICMP
    icmp_code: Byte;      // Code
    icmp_checksum: Word;  // Somme de contrôle
    icmp_id: Word;        // Identifiant
    icmp_seq: Word;       // Numéro de séquence
  end;

function CalculateICMPChecksum(const Data: array of Byte; Len: Integer): Word;
var
  Sum: Cardinal;
  i: Integer;
begin
  Sum := 0;

  // Somme par paires de 16 bits
  i := 0;
  while i < Len - 1 do
  begin
    Sum := Sum + (Data[i] shl 8 + Data[i + 1]);
    Inc(i, 2);
  end;

  // Octet restant si longueur impaire
  if i < Len then
    Sum := Sum + (Data[i] shl 8);

  // Ajout des débordements
  while (Sum shr 16) > 0 do
    Sum := (Sum and $FFFF) + (Sum shr 16);

  Result := not Word(Sum);
end;

function SendPing(const Host: string; Timeout: Integer): Boolean;
var
  Sock: TSocket;
  Addr: TInetSockAddr;
  HostEntry: THostEntry;
  ICMPPacket: array[0..63] of Byte;
  ICMPHeader: ^TICMPHeader;
  Sent, Received: Integer;
  ReplyBuffer: array[0..1023] of Byte;
  StartTime, EndTime: TDateTime;
  TimeDiff: Double;
begin
  Result := False;

  // Création d'un raw socket (nécessite les privilèges root)
  Sock := fpSocket(AF_INET, SOCK_RAW, IPPROTO_ICMP);

  if Sock = INVALID_SOCKET then
  begin
    WriteLn('Erreur: Raw socket (nécessite sudo/root)');
    Exit;
  end;

  try
    // Résolution de l'hôte
    if not GetHostByName(Host, HostEntry) then
    begin
      WriteLn('Erreur: Impossible de résoudre ', Host);
      Exit;
    end;

    // Préparation de l'adresse
    FillChar(Addr, SizeOf(Addr), 0);
    Addr.sin_family := AF_INET;
    Addr.sin_addr := HostEntry.Addr;
    Addr.sin_addr := HostToNet(Addr.sin_addr);  // sockit: host to network byte order

    // Construction du paquet ICMP Echo Request
    FillChar(ICMPPacket, SizeOf(ICMPPacket), 0);
    ICMPHeader := @ICMPPacket[0];

    ICMPHeader^.icmp_type := 8;  // Echo Request
    ICMPHeader^.icmp_code := 0;
    ICMPHeader^.icmp_id := htons(GetProcessID);
    ICMPHeader^.icmp_seq := htons(1);

    // Données du paquet (optionnel)
    FillChar(ICMPPacket[SizeOf(TICMPHeader)],
             SizeOf(ICMPPacket) - SizeOf(TICMPHeader), $AA);

    // Calcul du checksum
    ICMPHeader^.icmp_checksum := 0;
    ICMPHeader^.icmp_checksum :=
      CalculateICMPChecksum(ICMPPacket, SizeOf(ICMPPacket));

    // Envoi
    WriteLn('Envoi ping à ', Host, ' (', NetAddrToStr(Addr.sin_addr), ')');
    StartTime := Now;

    Sent := fpSendTo(Sock, @ICMPPacket, SizeOf(ICMPPacket), 0,
                     @Addr, SizeOf(Addr));

    if Sent < 0 then
    begin
      WriteLn('Erreur d''envoi: ', SocketError);
      Exit;
    end;

    // Configuration du timeout
    SetSocketTimeout(Sock, Timeout);

    // Réception de la réponse
    Received := fpRecv(Sock, @ReplyBuffer, SizeOf(ReplyBuffer), 0);
    EndTime := Now;

    if Received > 0 then
    begin
      TimeDiff := (EndTime - StartTime) * 24 * 3600 * 1000; // en ms
      WriteLn('Réponse de ', Host, ' : temps=', TimeDiff:0:2, ' ms');
      Result := True;
    end
    else
      WriteLn('Timeout ou erreur de réception');

  finally
    CloseSocket(Sock);
  end;
end;

begin
  if ParamCount = 0 then
  begin
    WriteLn('Usage: sudo ./PingICMP <host>');
    WriteLn('Exemple: sudo ./PingICMP google.com');
  end
  else
  begin
    if SendPing(ParamStr(1), 5000) then
      WriteLn('Ping réussi')
    else
      WriteLn('Ping échoué');
  end;

  ReadLn;
end.
{$ENDIF}
