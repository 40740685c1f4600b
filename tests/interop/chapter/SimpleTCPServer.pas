{ SimpleTCPServer: the chapter's program (seed/low-level-tcp-udp.fr.md, "program SimpleTCPServer" at line 292),
  extracted verbatim. It does not compile as written with fpc 3.2.2 on Linux; the smallest fixes,
  each marked "sockit:" below, are:
  - INVALID_SOCKET = -1: the chapter defines it in "Structure de base d'un socket"; FPC's
    Sockets unit has it only on Windows.
  Everything else, flaws included (PROTOCOL.md section 6), is the chapter's text. }
program SimpleTCPServer;
{$mode objfpc}{$H+}

uses
  SysUtils, Sockets;

{ ---- sockit: added, see the note at the top ---- }
const
  INVALID_SOCKET = -1;  // Socket invalide
{ ---- sockit: end of the addition ---- }

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

procedure HandleClient(ClientSock: TSocket; const ClientAddr: TInetSockAddr);
var
  Buffer: array[0..4095] of Char;
  Received: Integer;
  ClientIP: string;
begin
  // Conversion de l'adresse IP en chaîne
  ClientIP := NetAddrToStr(ClientAddr.sin_addr);
  WriteLn('Nouveau client: ', ClientIP, ':', ntohs(ClientAddr.sin_port));

  try
    // Lecture des données
    Received := fpRecv(ClientSock, @Buffer, SizeOf(Buffer) - 1, 0);

    if Received > 0 then
    begin
      Buffer[Received] := #0;  // Terminaison
      WriteLn('Reçu (', Received, ' octets): ', Buffer);

      // Renvoi des données (echo)
      fpSend(ClientSock, @Buffer, Received, 0);
      WriteLn('Données renvoyées au client');
    end
    else if Received = 0 then
      WriteLn('Client déconnecté')
    else
      WriteLn('Erreur de réception: ', SocketError);

  finally
    CloseSocket(ClientSock);
    WriteLn('Connexion client fermée');
  end;
end;

var
  ServerSock, ClientSock: TSocket;
  ClientAddr: TInetSockAddr;
  AddrLen: TSockLen;

begin
  ServerSock := CreateTCPServer(8080);

  if ServerSock <> INVALID_SOCKET then
  begin
    try
      WriteLn('En attente de connexions...');
      WriteLn('Appuyez sur Ctrl+C pour arrêter');
      WriteLn;

      // Boucle d'acceptation
      while True do
      begin
        AddrLen := SizeOf(ClientAddr);

        // Acceptation d'une connexion cliente
        ClientSock := fpAccept(ServerSock, @ClientAddr, @AddrLen);

        if ClientSock < 0 then
        begin
          WriteLn('Erreur d''acceptation: ', SocketError);
          Continue;
        end;

        // Traitement du client
        HandleClient(ClientSock, ClientAddr);
        WriteLn;
      end;

    finally
      CloseSocket(ServerSock);
      WriteLn('Serveur arrêté');
    end;
  end;
end.
