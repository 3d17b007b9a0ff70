import os,sys,time,json
pid=sys.argv[1]; out=open(sys.argv[2],'w')
while os.path.exists(f'/proc/{pid}'):
    snap={}
    try:
        for t in os.listdir(f'/proc/{pid}/task'):
            try:
                s=open(f'/proc/{pid}/task/{t}/stat').read()
                name=s[s.index('(')+1:s.rindex(')')]
                f=s[s.rindex(')')+2:].split()
                snap[t]=(name,int(f[11]),int(f[12]))
            except Exception: pass
    except Exception: break
    out.write(json.dumps([time.strftime('%H:%M:%S'),snap])+'\n'); out.flush()
    time.sleep(1)
