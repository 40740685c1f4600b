{ CustomProtocolServer: the chapter's program (seed/low-level-tcp-udp.fr.md, "program CustomProtocolServer" at line 1048),
  extracted verbatim. It does not compile as written with fpc 3.2.2 on Linux; the smallest fixes,
  each marked "sockit:" below, are:
  - the server creation, which the chapter omits ("... Création et liaison du serveur ..."): its own
    CreateTCPServer from SimpleTCPServer (0.0.0.0:8080, SO_REUSEADDR, backlog 5) with INVALID_SOCKET
    = -1 from "Structure de base d'un socket"; exit status 1 if it fails. As written, ServerSock is
    never set and the program spins on accept(0) forever.
  Everything else, flaws included (PROTOCOL.md section 6), is the chapter's text. }
program CustomProtocolServer;
{$mode objfpc}{$H+}

uses
  SysUtils, Sockets;

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

{ ---- sockit: added, see the note at the top ---- }
// The server creation the chapter leaves out ("Création et liaison du serveur"): its own
// CreateTCPServer from SimpleTCPServer, verbatim, on the port its client uses (8080).
const
  INVALID_SOCKET = -1;  // Socket invalide

function CreateTCPServer(Port: Word): TSocket;
var
  Sock: TSocket;
  Addr: TInetSockAddr;
  OptVal: Integer;
begin
  Result := INVALID_SOCKET;

  // 1. Création du socket
  Sock := fpSocket(AF_INET, SOCK_STREAM, 0);
  if Sock = INVALID_SOCKET then
  begin
    WriteLn('Erreur: Impossible de créer le socket');
    Exit;
  end;

  WriteLn('Socket serveur créé: ', Sock);

  // 2. Option SO_REUSEADDR (permet de réutiliser l'adresse immédiatement)
  OptVal := 1;
  fpSetSockOpt(Sock, SOL_SOCKET, SO_REUSEADDR, @OptVal, SizeOf(OptVal));

  // 3. Liaison (bind) à une adresse et un port
  FillChar(Addr, SizeOf(Addr), 0);
  Addr.sin_family := AF_INET;
  Addr.sin_port := htons(Port);
  Addr.sin_addr.s_addr := INADDR_ANY;  // Écoute sur toutes les interfaces

  if fpBind(Sock, @Addr, SizeOf(Addr)) < 0 then
  begin
    WriteLn('Erreur: Impossible de lier le port ', Port, ' (', SocketError, ')');
    CloseSocket(Sock);
    Exit;
  end;

  WriteLn('Socket lié au port ', Port);

  // 4. Mise en écoute
  if fpListen(Sock, 5) < 0 then  // Queue de 5 connexions en attente
  begin
    WriteLn('Erreur: Impossible de se mettre en écoute (', SocketError, ')');
    CloseSocket(Sock);
    Exit;
  end;

  WriteLn('Serveur en écoute sur le port ', Port);
  Result := Sock;
end;

{ ---- sockit: end of the addition ---- }

procedure HandleClientProtocol(ClientSock: TSocket);
var
  Command: Byte;
  Data, Response: string;
  Continue: Boolean;
begin
  Continue := True;

  while Continue do
  begin
    if not ReceivePacket(ClientSock, Command, Data) then
    begin
      WriteLn('Erreur de réception du paquet');
      Break;
    end;

    WriteLn('Commande reçue: ', Command);
    if Data <> '' then
      WriteLn('Données: ', Data);

    case Command of
      CMD_ECHO:
        begin
          Response := 'Echo: ' + Data;
          SendPacket(ClientSock, RESP_OK, Response);
        end;

      CMD_TIME:
        begin
          Response := DateTimeToStr(Now);
          SendPacket(ClientSock, RESP_OK, Response);
        end;

      CMD_PING:
        begin
          SendPacket(ClientSock, RESP_OK, 'PONG');
        end;

      CMD_QUIT:
        begin
          SendPacket(ClientSock, RESP_OK, 'Goodbye');
          Continue := False;
        end;

    else
      SendPacket(ClientSock, RESP_ERROR, 'Unknown command');
    end;
  end;
end;

// Serveur principal (code similaire aux exemples précédents)
var
  ServerSock, ClientSock: TSocket;
  ClientAddr: TInetSockAddr;
  AddrLen: TSockLen;

begin
  // ... Création et liaison du serveur ...
  ServerSock := CreateTCPServer(8080);  // sockit: the omitted code
  if ServerSock = INVALID_SOCKET then Halt(1);  // sockit: instead of accept() on no socket

  WriteLn('Serveur de protocole personnalisé démarré');

  while True do
  begin
    AddrLen := SizeOf(ClientAddr);
    ClientSock := fpAccept(ServerSock, @ClientAddr, @AddrLen);

    if ClientSock >= 0 then
    begin
      WriteLn('Client connecté');
      HandleClientProtocol(ClientSock);
      CloseSocket(ClientSock);
      WriteLn('Client déconnecté');
    end;
  end;
end.
