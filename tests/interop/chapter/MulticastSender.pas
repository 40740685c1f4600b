{ MulticastSender: the chapter's program (seed/low-level-tcp-udp.fr.md, "program MulticastSender" at line 1336),
  extracted verbatim. It does not compile as written with fpc 3.2.2 on Linux; the smallest fixes,
  each marked "sockit:" below, are:
  - INVALID_SOCKET = -1: the chapter defines it in "Structure de base d'un socket"; FPC's
    Sockets unit has it only on Windows.
  - inet_addr: a Winsock name; here a one-line function over FPC's StrToNetAddr (network order).
  Everything else, flaws included (PROTOCOL.md section 6), is the chapter's text. }
program MulticastSender;
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
  MULTICAST_GROUP = '239.255.255.250';  // Groupe multicast
  MULTICAST_PORT = 5353;

procedure SendMulticast(const Message: string);
var
  Sock: TSocket;
  Addr: TInetSockAddr;
  TTL: Integer;
begin
  Sock := fpSocket(AF_INET, SOCK_DGRAM, 0);

  if Sock <> INVALID_SOCKET then
  begin
    try
      // Configuration du TTL multicast
      TTL := 32;  // Nombre de sauts réseau
      fpSetSockOpt(Sock, IPPROTO_IP, IP_MULTICAST_TTL, @TTL, SizeOf(TTL));

      // Adresse du groupe multicast
      FillChar(Addr, SizeOf(Addr), 0);
      Addr.sin_family := AF_INET;
      Addr.sin_port := htons(MULTICAST_PORT);
      Addr.sin_addr.s_addr := inet_addr(MULTICAST_GROUP);

      // Envoi
      WriteLn('Envoi multicast: ', Message);
      fpSendTo(Sock, @Message[1], Length(Message), 0, @Addr, SizeOf(Addr));

    finally
      CloseSocket(Sock);
    end;
  end;
end;

begin
  SendMulticast('Message multicast de test');
  ReadLn;
end.
