{ SelectExample: the chapter's program (seed/low-level-tcp-udp.fr.md, "program SelectExample" at line 783),
  extracted verbatim. It does not compile as written with fpc 3.2.2 on Linux; the smallest fixes,
  each marked "sockit:" below, are:
  - INVALID_SOCKET = -1: the chapter defines it in "Structure de base d'un socket"; FPC's
    Sockets unit has it only on Windows.
  - bind and listen, which the chapter omits ("code de bind et listen omis pour la clarté"): one call
    to BindAndListen, steps 2-4 of the chapter's own CreateTCPServer (SimpleTCPServer): SO_REUSEADDR,
    0.0.0.0:Port, backlog 5; it exits with status 1 where CreateTCPServer returned INVALID_SOCKET.
  Everything else, flaws included (PROTOCOL.md section 6), is the chapter's text. }
program SelectExample;
{$mode objfpc}{$H+}

uses
  SysUtils, Sockets, BaseUnix;

{ ---- sockit: added, see the note at the top ---- }
const
  INVALID_SOCKET = -1;  // Socket invalide

// The code the chapter leaves out ("code de bind et listen omis"): steps 2 to 4 of its own
// CreateTCPServer (SimpleTCPServer), verbatim.
procedure BindAndListen(Sock: TSocket; Port: Word);
var
  Addr: TInetSockAddr;
  OptVal: Integer;
begin
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
    Halt(1);
  end;

  WriteLn('Socket lié au port ', Port);

  // 4. Mise en écoute
  if fpListen(Sock, 5) < 0 then  // Queue de 5 connexions en attente
  begin
    WriteLn('Erreur: Impossible de se mettre en écoute (', SocketError, ')');
    CloseSocket(Sock);
    Halt(1);
  end;

  WriteLn('Serveur en écoute sur le port ', Port);
end;
{ ---- sockit: end of the addition ---- }

function WaitForData(Sock: TSocket; TimeoutMS: Integer): Boolean;
var
  ReadFDs: TFDSet;
  Timeout: TTimeVal;
  Res: Integer;
begin
  // Initialisation du set de descripteurs
  fpFD_ZERO(ReadFDs);
  fpFD_SET(Sock, ReadFDs);

  // Configuration du timeout
  Timeout.tv_sec := TimeoutMS div 1000;
  Timeout.tv_usec := (TimeoutMS mod 1000) * 1000;

  // Attente de données avec timeout
  Res := fpSelect(Sock + 1, @ReadFDs, nil, nil, @Timeout);

  Result := (Res > 0) and (fpFD_ISSET(Sock, ReadFDs) = 1);
end;

procedure MultiSocketServer(Port: Word);
var
  ServerSock, ClientSock: TSocket;
  ClientAddr: TInetSockAddr;
  AddrLen: TSockLen;
  ReadFDs, ActiveFDs: TFDSet;
  MaxFD, i: Integer;
  Clients: array[0..63] of TSocket;
  ClientCount: Integer;
  Buffer: array[0..1023] of Char;
  Received: Integer;
begin
  // Initialisation
  ClientCount := 0;
  for i := 0 to High(Clients) do
    Clients[i] := INVALID_SOCKET;

  // Création du serveur
  ServerSock := fpSocket(AF_INET, SOCK_STREAM, 0);
  // ... (code de bind et listen omis pour la clarté)
  BindAndListen(ServerSock, Port);  // sockit: the omitted code

  WriteLn('Serveur multi-socket démarré');

  // Boucle principale
  while True do
  begin
    // Préparation des descripteurs à surveiller
    fpFD_ZERO(ActiveFDs);
    fpFD_SET(ServerSock, ActiveFDs);
    MaxFD := ServerSock;

    // Ajout des clients connectés
    for i := 0 to ClientCount - 1 do
    begin
      if Clients[i] <> INVALID_SOCKET then
      begin
        fpFD_SET(Clients[i], ActiveFDs);
        if Clients[i] > MaxFD then
          MaxFD := Clients[i];
      end;
    end;

    // Attente d'activité sur un socket
    if fpSelect(MaxFD + 1, @ActiveFDs, nil, nil, nil) > 0 then
    begin
      // Nouvelle connexion ?
      if fpFD_ISSET(ServerSock, ActiveFDs) = 1 then
      begin
        AddrLen := SizeOf(ClientAddr);
        ClientSock := fpAccept(ServerSock, @ClientAddr, @AddrLen);

        if ClientSock <> INVALID_SOCKET then
        begin
          WriteLn('Nouveau client connecté');
          Clients[ClientCount] := ClientSock;
          Inc(ClientCount);
        end;
      end;

      // Données d'un client ?
      for i := 0 to ClientCount - 1 do
      begin
        if (Clients[i] <> INVALID_SOCKET) and
           (fpFD_ISSET(Clients[i], ActiveFDs) = 1) then
        begin
          Received := fpRecv(Clients[i], @Buffer, SizeOf(Buffer), 0);

          if Received <= 0 then
          begin
            WriteLn('Client déconnecté');
            CloseSocket(Clients[i]);
            Clients[i] := INVALID_SOCKET;
          end
          else
          begin
            Buffer[Received] := #0;
            WriteLn('Reçu du client ', i, ': ', Buffer);

            // Echo au client
            fpSend(Clients[i], @Buffer, Received, 0);
          end;
        end;
      end;
    end;
  end;
end;

begin
  MultiSocketServer(8080);
end.
