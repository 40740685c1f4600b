{ HighPerformanceServer: the chapter's program (seed/low-level-tcp-udp.fr.md, "program HighPerformanceServer" at line 1928),
  extracted verbatim. It does not compile as written with fpc 3.2.2 on Linux; the smallest fixes,
  each marked "sockit:" below, are:
  - INVALID_SOCKET = -1: the chapter defines it in "Structure de base d'un socket"; FPC's
    Sockets unit has it only on Windows.
  - TEpollEvent and epoll_create1: FPC's Linux unit has TEPoll_Event and epoll_create; one alias and a
    three-line epoll_create1 over epoll_create.
  - "Event, Events: array[0..MAX_EVENTS - 1] of TEpollEvent" declares Event as an array too, and
    "Event.Events := ..." cannot compile: Event is declared alone as one TEpollEvent.
  Everything else, flaws included (PROTOCOL.md section 6), is the chapter's text. }
{$IFDEF LINUX}
program HighPerformanceServer;
{$mode objfpc}{$H+}

uses
  SysUtils, Sockets, BaseUnix, Linux;

{ ---- sockit: added, see the note at the top ---- }
const
  INVALID_SOCKET = -1;  // Socket invalide

type
  TEpollEvent = TEPoll_Event;  // FPC's Linux unit spells it TEPoll_Event

function epoll_create1(flags: cint): cint;  // not in FPC's Linux unit; flags is always 0 here
begin
  Result := epoll_create(1);
end;
{ ---- sockit: end of the addition ---- }

const
  MAX_EVENTS = 1024;

type
  PClientData = ^TClientData;
  TClientData = record
    Socket: TSocket;
    Buffer: array[0..4095] of Char;
    BufferPos: Integer;
  end;

function CreateEpollServer(Port: Word): TSocket;
var
  Sock: TSocket;
  Addr: TInetSockAddr;
  OptVal: Integer;
begin
  Result := INVALID_SOCKET;

  Sock := fpSocket(AF_INET, SOCK_STREAM, 0);
  if Sock = INVALID_SOCKET then
    Exit;

  // Configuration du socket
  OptVal := 1;
  fpSetSockOpt(Sock, SOL_SOCKET, SO_REUSEADDR, @OptVal, SizeOf(OptVal));

  // Socket non-bloquant
  fpFcntl(Sock, F_SETFL, fpFcntl(Sock, F_GETFL, 0) or O_NONBLOCK);

  // Liaison
  FillChar(Addr, SizeOf(Addr), 0);
  Addr.sin_family := AF_INET;
  Addr.sin_port := htons(Port);
  Addr.sin_addr.s_addr := INADDR_ANY;

  if fpBind(Sock, @Addr, SizeOf(Addr)) < 0 then
  begin
    CloseSocket(Sock);
    Exit;
  end;

  // Écoute
  if fpListen(Sock, 128) < 0 then
  begin
    CloseSocket(Sock);
    Exit;
  end;

  Result := Sock;
  WriteLn('Serveur époll créé sur le port ', Port);
end;

procedure RunEpollServer(ListenSock: TSocket);
var
  EpollFD: Integer;
  Event: TEpollEvent;  // sockit: one event, not an array ("Event, Events: array[...]")
  Events: array[0..MAX_EVENTS - 1] of TEpollEvent;
  NumEvents, i: Integer;
  ClientSock: TSocket;
  ClientAddr: TInetSockAddr;
  AddrLen: TSockLen;
  ClientData: PClientData;
  Received: Integer;
begin
  // Création de l'instance époll
  EpollFD := epoll_create1(0);
  if EpollFD < 0 then
  begin
    WriteLn('Erreur epoll_create1');
    Exit;
  end;

  try
    // Ajout du socket d'écoute à époll
    FillChar(Event, SizeOf(Event), 0);
    Event.Events := EPOLLIN or EPOLLET;  // Edge-triggered
    Event.Data.fd := ListenSock;

    if epoll_ctl(EpollFD, EPOLL_CTL_ADD, ListenSock, @Event) < 0 then
    begin
      WriteLn('Erreur epoll_ctl ADD');
      Exit;
    end;

    WriteLn('Serveur époll en écoute...');
    WriteLn('Appuyez sur Ctrl+C pour arrêter');
    WriteLn;

    // Boucle principale
    while True do
    begin
      // Attente d'événements
      NumEvents := epoll_wait(EpollFD, @Events[0], MAX_EVENTS, -1);

      if NumEvents < 0 then
      begin
        if fpgeterrno = ESysEINTR then
          Continue;  // Interruption par signal
        WriteLn('Erreur epoll_wait: ', fpgeterrno);
        Break;
      end;

      // Traitement des événements
      for i := 0 to NumEvents - 1 do
      begin
        // Nouvelle connexion ?
        if Events[i].Data.fd = ListenSock then
        begin
          while True do
          begin
            AddrLen := SizeOf(ClientAddr);
            ClientSock := fpAccept(ListenSock, @ClientAddr, @AddrLen);

            if ClientSock < 0 then
            begin
              if (fpgeterrno = ESysEAGAIN) or (fpgeterrno = ESysEWOULDBLOCK) then
                Break;  // Plus de connexions en attente
              WriteLn('Erreur accept: ', fpgeterrno);
              Break;
            end;

            // Configuration du socket client en non-bloquant
            fpFcntl(ClientSock, F_SETFL,
                    fpFcntl(ClientSock, F_GETFL, 0) or O_NONBLOCK);

            // Allocation des données client
            New(ClientData);
            ClientData^.Socket := ClientSock;
            ClientData^.BufferPos := 0;

            // Ajout à époll
            FillChar(Event, SizeOf(Event), 0);
            Event.Events := EPOLLIN or EPOLLET;  // Edge-triggered
            Event.Data.ptr := ClientData;

            if epoll_ctl(EpollFD, EPOLL_CTL_ADD, ClientSock, @Event) < 0 then
            begin
              WriteLn('Erreur epoll_ctl ADD client');
              Dispose(ClientData);
              CloseSocket(ClientSock);
            end
            else
              WriteLn('Nouveau client: ', NetAddrToStr(ClientAddr.sin_addr));
          end;
        end
        else
        begin
          // Données d'un client
          ClientData := PClientData(Events[i].Data.ptr);

          // Lecture des données
          while True do
          begin
            Received := fpRecv(ClientData^.Socket,
                              @ClientData^.Buffer[ClientData^.BufferPos],
                              SizeOf(ClientData^.Buffer) - ClientData^.BufferPos,
                              0);

            if Received < 0 then
            begin
              if (fpgeterrno = ESysEAGAIN) or (fpgeterrno = ESysEWOULDBLOCK) then
                Break;  // Plus de données disponibles

              // Erreur ou déconnexion
              WriteLn('Client déconnecté (erreur)');
              epoll_ctl(EpollFD, EPOLL_CTL_DEL, ClientData^.Socket, nil);
              CloseSocket(ClientData^.Socket);
              Dispose(ClientData);
              Break;
            end
            else if Received = 0 then
            begin
              // Connexion fermée proprement
              WriteLn('Client déconnecté');
              epoll_ctl(EpollFD, EPOLL_CTL_DEL, ClientData^.Socket, nil);
              CloseSocket(ClientData^.Socket);
              Dispose(ClientData);
              Break;
            end
            else
            begin
              // Données reçues - Echo
              fpSend(ClientData^.Socket, @ClientData^.Buffer[ClientData^.BufferPos],
                    Received, 0);
            end;
          end;
        end;
      end;
    end;

  finally
    fpClose(EpollFD);
  end;
end;

var
  ListenSock: TSocket;

begin
  ListenSock := CreateEpollServer(8080);

  if ListenSock <> INVALID_SOCKET then
  begin
    try
      RunEpollServer(ListenSock);
    finally
      CloseSocket(ListenSock);
    end;
  end;
end.
{$ENDIF}
