{ MulticastReceiver: the chapter's program (seed/low-level-tcp-udp.fr.md, "program MulticastReceiver" at line 1386),
  extracted verbatim. It does not compile as written with fpc 3.2.2 on Linux; the smallest fixes,
  each marked "sockit:" below, are:
  - INVALID_SOCKET = -1: the chapter defines it in "Structure de base d'un socket"; FPC's
    Sockets unit has it only on Windows.
  - inet_addr: a Winsock name; here a one-line function over FPC's StrToNetAddr (network order).
  Everything else, flaws included (PROTOCOL.md section 6), is the chapter's text. }
program MulticastReceiver;
{$mode objfpc}{$H+}

uses
  SysUtils, Sockets;

{ ---- sockit: added, see the note at the top ---- }
const
  INVALID_SOCKET = -1;  // Socket invalide

function inet_addr(const S: string): LongWord;
begin
  Result := StrToNetAddr(S).s_addr;
end;
{ ---- sockit: end of the addition ---- }

const
  MULTICAST_GROUP = '239.255.255.250';
  MULTICAST_PORT = 5353;

type
  TIPMReq = packed record
    imr_multiaddr: TInAddr;  // Adresse du groupe
    imr_interface: TInAddr;  // Interface locale
  end;

procedure ReceiveMulticast;
var
  Sock: TSocket;
  Addr: TInetSockAddr;
  MReq: TIPMReq;
  OptVal: Integer;
  Buffer: array[0..1023] of Char;
  Received: Integer;
  FromAddr: TInetSockAddr;
  AddrLen: TSockLen;
begin
  Sock := fpSocket(AF_INET, SOCK_DGRAM, 0);

  if Sock <> INVALID_SOCKET then
  begin
    try
      // Option SO_REUSEADDR pour partager le port
      OptVal := 1;
      fpSetSockOpt(Sock, SOL_SOCKET, SO_REUSEADDR, @OptVal, SizeOf(OptVal));

      // Liaison au port multicast
      FillChar(Addr, SizeOf(Addr), 0);
      Addr.sin_family := AF_INET;
      Addr.sin_port := htons(MULTICAST_PORT);
      Addr.sin_addr.s_addr := INADDR_ANY;

      if fpBind(Sock, @Addr, SizeOf(Addr)) < 0 then
      begin
        WriteLn('Erreur bind: ', SocketError);
        Exit;
      end;

      // Rejoindre le groupe multicast
      MReq.imr_multiaddr.s_addr := inet_addr(MULTICAST_GROUP);
      MReq.imr_interface.s_addr := INADDR_ANY;

      if fpSetSockOpt(Sock, IPPROTO_IP, IP_ADD_MEMBERSHIP,
                      @MReq, SizeOf(MReq)) < 0 then
      begin
        WriteLn('Erreur lors de la jonction au groupe: ', SocketError);
        Exit;
      end;

      WriteLn('En écoute sur le groupe multicast ', MULTICAST_GROUP, ':', MULTICAST_PORT);
      WriteLn('Appuyez sur Ctrl+C pour arrêter');
      WriteLn;

      // Réception
      while True do
      begin
        AddrLen := SizeOf(FromAddr);
        Received := fpRecvFrom(Sock, @Buffer, SizeOf(Buffer) - 1, 0,
                              @FromAddr, @AddrLen);

        if Received > 0 then
        begin
          Buffer[Received] := #0;
          WriteLn('Reçu de ', NetAddrToStr(FromAddr.sin_addr), ': ', Buffer);
        end;
      end;

      // Quitter le groupe (si on sort de la boucle)
      fpSetSockOpt(Sock, IPPROTO_IP, IP_DROP_MEMBERSHIP, @MReq, SizeOf(MReq));

    finally
      CloseSocket(Sock);
    end;
  end;
end;

begin
  ReceiveMulticast;
end.
