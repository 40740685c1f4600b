{ SimpleUDPClient: the chapter's program (seed/low-level-tcp-udp.fr.md, "program SimpleUDPClient" at line 457),
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
program SimpleUDPClient;
{$mode objfpc}{$H+}

uses
  SysUtils, Sockets, BaseUnix, netdb;  // sockit: + BaseUnix, netdb

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

function CreateUDPSocket: TSocket;
var
  Sock: TSocket;
begin
  // Création d'un socket UDP (SOCK_DGRAM)
  Sock := fpSocket(AF_INET, SOCK_DGRAM, 0);

  if Sock = INVALID_SOCKET then
    WriteLn('Erreur: Impossible de créer le socket UDP')
  else
    WriteLn('Socket UDP créé: ', Sock);

  Result := Sock;
end;

procedure SendUDPMessage(Sock: TSocket; const Host: string;
                         Port: Word; const Message: string);
var
  Addr: TInetSockAddr;
  HostEntry: THostEntry;
  Sent: Integer;
begin
  // Résolution de l'hôte
  if not GetHostByName(Host, HostEntry) then
  begin
    WriteLn('Erreur: Impossible de résoudre ', Host);
    Exit;
  end;

  // Préparation de l'adresse de destination
  FillChar(Addr, SizeOf(Addr), 0);
  Addr.sin_family := AF_INET;
  Addr.sin_port := htons(Port);
  Addr.sin_addr := HostEntry.Addr;
  Addr.sin_addr := HostToNet(Addr.sin_addr);  // sockit: host to network byte order

  // Envoi du datagramme
  Sent := fpSendTo(Sock, @Message[1], Length(Message), 0,
                   @Addr, SizeOf(Addr));

  if Sent < 0 then
    WriteLn('Erreur d''envoi UDP: ', SocketError)
  else
    WriteLn('UDP envoyé: ', Sent, ' octets à ', Host, ':', Port);
end;

function ReceiveUDPMessage(Sock: TSocket; MaxLen: Integer;
                           out FromAddr: TInetSockAddr): string;
var
  Buffer: array[0..4095] of Char;
  Received: Integer;
  AddrLen: TSockLen;
begin
  Result := '';
  AddrLen := SizeOf(FromAddr);

  // Réception d'un datagramme
  Received := fpRecvFrom(Sock, @Buffer, MaxLen, 0, @FromAddr, @AddrLen);

  if Received < 0 then
    WriteLn('Erreur de réception UDP: ', SocketError)
  else if Received > 0 then
  begin
    SetLength(Result, Received);
    Move(Buffer, Result[1], Received);
    WriteLn('UDP reçu: ', Received, ' octets de ',
            NetAddrToStr(FromAddr.sin_addr), ':', ntohs(FromAddr.sin_port));
  end;
end;

var
  Sock: TSocket;
  Response: string;
  FromAddr: TInetSockAddr;

begin
  Sock := CreateUDPSocket;

  if Sock <> INVALID_SOCKET then
  begin
    try
      // Envoi d'un message UDP
      SendUDPMessage(Sock, 'localhost', 9000, 'Message UDP de test');

      // Attente optionnelle d'une réponse
      WriteLn('En attente de réponse (5 secondes max)...');

      // Configuration d'un timeout de réception
      SetSocketTimeout(Sock, 5000);  // 5 secondes

      Response := ReceiveUDPMessage(Sock, 1024, FromAddr);
      if Response <> '' then
        WriteLn('Réponse: ', Response);

    finally
      CloseSocket(Sock);
      WriteLn('Socket fermé');
    end;
  end;

  ReadLn;
end.
