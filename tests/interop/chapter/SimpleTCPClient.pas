{ SimpleTCPClient: the chapter's program (seed/low-level-tcp-udp.fr.md, "program SimpleTCPClient" at line 141),
  extracted verbatim. It does not compile as written with fpc 3.2.2 on Linux; the smallest fixes,
  each marked "sockit:" below, are:
  - uses netdb: THostEntry and GetHostByName live there in FPC, not in Sockets.
  - INVALID_SOCKET = -1: the chapter defines it in "Structure de base d'un socket"; FPC's
    Sockets unit has it only on Windows.
  - one line after "Addr.sin_addr := HostEntry.Addr;": HostToNet(Addr.sin_addr). netdb's
    GetHostByName returns the address in host byte order (PROTOCOL.md 6.10), so as written the program
    would go to 1.0.0.127 instead of 127.0.0.1 and could never reach a server on this host.
  Everything else, flaws included (PROTOCOL.md section 6), is the chapter's text. }
program SimpleTCPClient;
{$mode objfpc}{$H+}

uses
  SysUtils, Sockets, netdb;  // sockit: + netdb

{ ---- sockit: added, see the note at the top ---- }
const
  INVALID_SOCKET = -1;  // Socket invalide
{ ---- sockit: end of the addition ---- }

function CreateTCPClient(const Host: string; Port: Word): TSocket;
var
  Sock: TSocket;
  Addr: TInetSockAddr;
  HostEntry: THostEntry;
begin
  Result := INVALID_SOCKET;

  // 1. Création du socket
  Sock := fpSocket(AF_INET, SOCK_STREAM, 0);
  if Sock = INVALID_SOCKET then
  begin
    WriteLn('Erreur: Impossible de créer le socket');
    Exit;
  end;

  WriteLn('Socket créé: ', Sock);

  // 2. Résolution du nom d'hôte
  if not GetHostByName(Host, HostEntry) then
  begin
    WriteLn('Erreur: Impossible de résoudre ', Host);
    CloseSocket(Sock);
    Exit;
  end;

  // 3. Préparation de l'adresse
  FillChar(Addr, SizeOf(Addr), 0);
  Addr.sin_family := AF_INET;
  Addr.sin_port := htons(Port);  // Conversion en network byte order
  Addr.sin_addr := HostEntry.Addr;
  Addr.sin_addr := HostToNet(Addr.sin_addr);  // sockit: host to network byte order

  // 4. Connexion
  WriteLn('Connexion à ', Host, ':', Port, '...');
  if fpConnect(Sock, @Addr, SizeOf(Addr)) < 0 then
  begin
    WriteLn('Erreur: Connexion impossible (', SocketError, ')');
    CloseSocket(Sock);
    Exit;
  end;

  WriteLn('Connecté avec succès !');
  Result := Sock;
end;

procedure SendData(Sock: TSocket; const Data: string);
var
  Sent: Integer;
begin
  Sent := fpSend(Sock, @Data[1], Length(Data), 0);
  if Sent < 0 then
    WriteLn('Erreur d''envoi: ', SocketError)
  else
    WriteLn('Envoyé: ', Sent, ' octets');
end;

function ReceiveData(Sock: TSocket; MaxLen: Integer): string;
var
  Buffer: array[0..4095] of Char;
  Received: Integer;
begin
  Result := '';

  Received := fpRecv(Sock, @Buffer, MaxLen, 0);
  if Received < 0 then
    WriteLn('Erreur de réception: ', SocketError)
  else if Received = 0 then
    WriteLn('Connexion fermée par le serveur')
  else
  begin
    SetLength(Result, Received);
    Move(Buffer, Result[1], Received);
    WriteLn('Reçu: ', Received, ' octets');
  end;
end;

var
  Sock: TSocket;
  Response: string;

begin
  // Exemple: connexion à un serveur echo
  Sock := CreateTCPClient('localhost', 7);

  if Sock <> INVALID_SOCKET then
  begin
    try
      // Envoi de données
      SendData(Sock, 'Bonjour serveur' + #13#10);

      // Réception de la réponse
      Response := ReceiveData(Sock, 1024);
      WriteLn('Réponse: ', Response);

    finally
      // Fermeture du socket
      CloseSocket(Sock);
      WriteLn('Socket fermé');
    end;
  end;

  WriteLn;
  WriteLn('Appuyez sur Entrée pour quitter...');
  ReadLn;
end.
