{ SimpleUDPServer: the chapter's program (seed/low-level-tcp-udp.fr.md, "program SimpleUDPServer" at line 569),
  extracted verbatim. It does not compile as written with fpc 3.2.2 on Linux; the smallest fixes,
  each marked "sockit:" below, are:
  - INVALID_SOCKET = -1: the chapter defines it in "Structure de base d'un socket"; FPC's
    Sockets unit has it only on Windows.
  Everything else, flaws included (PROTOCOL.md section 6), is the chapter's text. }
program SimpleUDPServer;
{$mode objfpc}{$H+}

uses
  SysUtils, Sockets;

{ ---- sockit: added, see the note at the top ---- }
const
  INVALID_SOCKET = -1;  // Socket invalide
{ ---- sockit: end of the addition ---- }

function CreateUDPServer(Port: Word): TSocket;
var
  Sock: TSocket;
  Addr: TInetSockAddr;
begin
  Result := INVALID_SOCKET;

  // Création du socket UDP
  Sock := fpSocket(AF_INET, SOCK_DGRAM, 0);
  if Sock = INVALID_SOCKET then
  begin
    WriteLn('Erreur: Impossible de créer le socket UDP');
    Exit;
  end;

  WriteLn('Socket UDP créé: ', Sock);

  // Liaison au port
  FillChar(Addr, SizeOf(Addr), 0);
  Addr.sin_family := AF_INET;
  Addr.sin_port := htons(Port);
  Addr.sin_addr.s_addr := INADDR_ANY;

  if fpBind(Sock, @Addr, SizeOf(Addr)) < 0 then
  begin
    WriteLn('Erreur: Impossible de lier le port ', Port, ' (', SocketError, ')');
    CloseSocket(Sock);
    Exit;
  end;

  WriteLn('Socket UDP lié au port ', Port);
  Result := Sock;
end;

procedure RunUDPServer(Sock: TSocket);
var
  Buffer: array[0..4095] of Char;
  Received: Integer;
  ClientAddr: TInetSockAddr;
  AddrLen: TSockLen;
  ClientIP: string;
  ClientPort: Word;
begin
  WriteLn('Serveur UDP en écoute...');
  WriteLn('Appuyez sur Ctrl+C pour arrêter');
  WriteLn;

  while True do
  begin
    AddrLen := SizeOf(ClientAddr);

    // Réception d'un datagramme
    Received := fpRecvFrom(Sock, @Buffer, SizeOf(Buffer) - 1, 0,
                          @ClientAddr, @AddrLen);

    if Received > 0 then
    begin
      Buffer[Received] := #0;

      ClientIP := NetAddrToStr(ClientAddr.sin_addr);
      ClientPort := ntohs(ClientAddr.sin_port);

      WriteLn('Reçu de ', ClientIP, ':', ClientPort, ' (', Received, ' octets)');
      WriteLn('Données: ', Buffer);

      // Renvoi d'une réponse (echo)
      fpSendTo(Sock, @Buffer, Received, 0, @ClientAddr, AddrLen);
      WriteLn('Réponse envoyée');
      WriteLn;
    end
    else if Received < 0 then
      WriteLn('Erreur de réception: ', SocketError);
  end;
end;

var
  Sock: TSocket;

begin
  Sock := CreateUDPServer(9000);

  if Sock <> INVALID_SOCKET then
  begin
    try
      RunUDPServer(Sock);
    finally
      CloseSocket(Sock);
      WriteLn('Serveur arrêté');
    end;
  end;
end.
