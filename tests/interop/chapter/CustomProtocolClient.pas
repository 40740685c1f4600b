{ CustomProtocolClient: the chapter's program (seed/low-level-tcp-udp.fr.md, "program CustomProtocolClient" at line 1251),
  extracted verbatim. It does not compile as written with fpc 3.2.2 on Linux; the smallest fixes,
  each marked "sockit:" below, are:
  - uses netdb: THostEntry and GetHostByName live there in FPC, not in Sockets.
  - INVALID_SOCKET = -1: the chapter defines it in "Structure de base d'un socket"; FPC's
    Sockets unit has it only on Windows.
  - one line after "Addr.sin_addr := HostEntry.Addr;": HostToNet(Addr.sin_addr). netdb's
    GetHostByName returns the address in host byte order (PROTOCOL.md 6.10), so as written the program
    would go to 1.0.0.127 instead of 127.0.0.1 and could never reach a server on this host.
  - the definitions the chapter says are "identiques au serveur" (CMD_*, RESP_*, TPacketHeader,
    CalculateChecksum, SendPacket, ReceivePacket): copied verbatim from CustomProtocolServer.
  Everything else, flaws included (PROTOCOL.md section 6), is the chapter's text. }
program CustomProtocolClient;
{$mode objfpc}{$H+}

uses
  SysUtils, Sockets, netdb;  // sockit: + netdb

{ ---- sockit: added, see the note at the top ---- }
const
  INVALID_SOCKET = -1;  // Socket invalide
{ ---- sockit: end of the addition ---- }

// Constantes et fonctions identiques au serveur
// (CMD_*, RESP_*, SendPacket, ReceivePacket)
{ ---- sockit: added, see the note at the top ---- }
// CustomProtocolServer's definitions, verbatim.
const
  // Codes de commande
  CMD_ECHO = 1;
  CMD_TIME = 2;
  CMD_QUIT = 3;
  CMD_PING = 4;

  // Codes de réponse
  RESP_OK = 0;
  RESP_ERROR = 1;

type
  // En-tête de paquet (8 octets)
  TPacketHeader = packed record
    Command: Byte;      // Code de commande
    Length: Word;       // Longueur des données
    Reserved: Byte;     // Réservé
    Checksum: Cardinal; // Somme de contrôle
  end;

function CalculateChecksum(const Data: string): Cardinal;
var
  i: Integer;
begin
  Result := 0;
  for i := 1 to Length(Data) do
    Result := Result + Ord(Data[i]);
end;

function SendPacket(Sock: TSocket; Command: Byte; const Data: string): Boolean;
var
  Header: TPacketHeader;
  Sent: Integer;
begin
  Result := False;

  // Construction de l'en-tête
  Header.Command := Command;
  Header.Length := Length(Data);
  Header.Reserved := 0;
  Header.Checksum := CalculateChecksum(Data);

  // Envoi de l'en-tête
  Sent := fpSend(Sock, @Header, SizeOf(Header), 0);
  if Sent <> SizeOf(Header) then
  begin
    WriteLn('Erreur: Envoi partiel de l''en-tête');
    Exit;
  end;

  // Envoi des données si présentes
  if Length(Data) > 0 then
  begin
    Sent := fpSend(Sock, @Data[1], Length(Data), 0);
    if Sent <> Length(Data) then
    begin
      WriteLn('Erreur: Envoi partiel des données');
      Exit;
    end;
  end;

  Result := True;
end;

function ReceivePacket(Sock: TSocket; out Command: Byte;
                       out Data: string): Boolean;
var
  Header: TPacketHeader;
  Received: Integer;
  Buffer: array[0..4095] of Char;
  Checksum: Cardinal;
begin
  Result := False;
  Data := '';

  // Réception de l'en-tête
  Received := fpRecv(Sock, @Header, SizeOf(Header), 0);
  if Received <> SizeOf(Header) then
  begin
    WriteLn('Erreur: Réception partielle de l''en-tête');
    Exit;
  end;

  Command := Header.Command;

  // Réception des données si présentes
  if Header.Length > 0 then
  begin
    if Header.Length > SizeOf(Buffer) then
    begin
      WriteLn('Erreur: Données trop volumineuses');
      Exit;
    end;

    Received := fpRecv(Sock, @Buffer, Header.Length, 0);
    if Received <> Header.Length then
    begin
      WriteLn('Erreur: Réception partielle des données');
      Exit;
    end;

    SetLength(Data, Received);
    Move(Buffer, Data[1], Received);

    // Vérification de la somme de contrôle
    Checksum := CalculateChecksum(Data);
    if Checksum <> Header.Checksum then
    begin
      WriteLn('Erreur: Checksum invalide (reçu: ', Header.Checksum,
              ', calculé: ', Checksum, ')');
      Exit;
    end;
  end;

  Result := True;
end;
{ ---- sockit: end of the addition ---- }

procedure TestProtocol(Sock: TSocket);
var
  Command: Byte;
  Response: string;
begin
  // Test PING
  WriteLn('Test PING...');
  if SendPacket(Sock, CMD_PING, '') then
  begin
    if ReceivePacket(Sock, Command, Response) then
      WriteLn('Réponse: ', Response);
  end;

  // Test ECHO
  WriteLn('Test ECHO...');
  if SendPacket(Sock, CMD_ECHO, 'Bonjour serveur!') then
  begin
    if ReceivePacket(Sock, Command, Response) then
      WriteLn('Réponse: ', Response);
  end;

  // Test TIME
  WriteLn('Test TIME...');
  if SendPacket(Sock, CMD_TIME, '') then
  begin
    if ReceivePacket(Sock, Command, Response) then
      WriteLn('Heure du serveur: ', Response);
  end;

  // Déconnexion
  WriteLn('Envoi QUIT...');
  SendPacket(Sock, CMD_QUIT, '');
  ReceivePacket(Sock, Command, Response);
  WriteLn('Réponse: ', Response);
end;

var
  Sock: TSocket;
  Addr: TInetSockAddr;
  HostEntry: THostEntry;

begin
  Sock := fpSocket(AF_INET, SOCK_STREAM, 0);

  if Sock <> INVALID_SOCKET then
  begin
    try
      // Connexion
      GetHostByName('localhost', HostEntry);
      FillChar(Addr, SizeOf(Addr), 0);
      Addr.sin_family := AF_INET;
      Addr.sin_port := htons(8080);
      Addr.sin_addr := HostEntry.Addr;
      Addr.sin_addr := HostToNet(Addr.sin_addr);  // sockit: host to network byte order

      if fpConnect(Sock, @Addr, SizeOf(Addr)) >= 0 then
      begin
        WriteLn('Connecté au serveur');
        TestProtocol(Sock);
      end
      else
        WriteLn('Erreur de connexion');

    finally
      CloseSocket(Sock);
    end;
  end;

  ReadLn;
end.
